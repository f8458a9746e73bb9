#!/usr/bin/env python
"""Extract the annotated Action Genome frames from the Charades videos.

    python tools/dump_frames.py --videos Charades_v1_480 --annotations ag/annotations \\
        --out ag/frames --workers 8

Frames to extract: ANNOTATIONS/frame_list.txt, else the keys of
ANNOTATIONS/object_bbox_and_relationship.pkl (ANNOTATIONS may also be the .txt or .pkl).
Writes OUT/VIDEO.mp4/NNNNNN.png (one folder per annotated video file name, as in the
annotations); rerunning resumes. OUT may not be, contain or lie inside VIDEOS or ANNOTATIONS.
Exits 1 when any video failed, after the others are done. Many machines: under torchrun
(RANK/WORLD_SIZE) or with --shard I/N each process dumps its share of the videos (sorted, round
robin) into the same OUT.
"""
from __future__ import annotations

import os
from typing import List, Optional

from sgfb.data.names import BACKENDS
from sgfb.utils.cli import UserError, positive_int, run_cli, tool_parser
from sgfb.utils.output_paths import VIDEO_EXTENSIONS, check_output_location
from sgfb.utils.shards import add_shard_argument, resolve_shard


def main(argv: Optional[List[str]] = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--videos", required=True, help="directory of VIDEO.mp4 files")
    parser.add_argument("--annotations", required=True,
                        help="AG annotation directory, frame_list.txt or annotation .pkl")
    parser.add_argument("--out", required=True, help="output frame directory")
    parser.add_argument("--workers", type=positive_int, default=1, help="processes (default 1)")
    parser.add_argument("--backend", choices=BACKENDS, default="pyav",
                        help="video decoder (default pyav: fastest for sequential dumping)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_shard_argument(parser)
    args = parser.parse_args(argv)
    try:
        shard = resolve_shard(args.shard)
    except ValueError as exc:
        parser.error(str(exc))
    if not os.path.isdir(args.videos):
        raise UserError(f"--videos {args.videos}: no such folder")
    if not any(name.lower().endswith(VIDEO_EXTENSIONS) for name in os.listdir(args.videos)):
        raise UserError(f"{args.videos}: no video files in this folder (looked for "
                        f"{', '.join(VIDEO_EXTENSIONS)})")
    check_output_location(args.out, [args.videos, args.annotations])

    from sgfb.data.action_genome import read_frame_keys
    from sgfb.data.frame_dump import dump_frames
    from sgfb.structures.frame_keys import parse_frame_key

    keys = read_frame_keys(args.annotations)
    if shard.sharded:
        video_of = {key: parse_frame_key(key, args.annotations)[0] for key in keys}
        mine = set(shard.select(set(video_of.values())))
        keys = [key for key in keys if video_of[key] in mine]
        print(f"shard {shard}: {len(mine)} videos, {len(keys)} frames")
    summary = dump_frames(args.videos, keys, args.out, workers=args.workers,
                          progress=not args.no_progress, backend=args.backend)
    print(summary.format())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    run_cli(main, __file__)
