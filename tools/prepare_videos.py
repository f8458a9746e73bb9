#!/usr/bin/env python
"""Re-encode a video dataset for training: short GOP, training resolution, same frames and times.

    python tools/prepare_videos.py --videos data/charades/videos --out data/charades/prepared \\
        [--short-side 320] [--keyint 16] [--crf 20] [--workers 2]

Every video under --videos is written to the same relative path under --out with H.264, a
keyframe every --keyint frames and its short side --short-side (never enlarged), keeping its
frames and their timestamps (rotation applied). Each copy is written atomically and recorded
in --out/manifest.jsonl (source path, size, modification time, encode settings); a rerun skips
the copies that are current, so an interrupted run resumes. Train on the copies by setting
data.prepared_videos=OUT (videos without a current copy are read from data.videos). Exits 1
naming every video that failed. See docs/data.md for what the re-encoding changes.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional, Tuple

from sgfb.utils.cli import UserError, positive_int, run_cli, tool_parser


def parse_args(argv=None):
    p = tool_parser(__doc__)
    p.add_argument("--videos", required=True, help="dataset folder (searched recursively)")
    p.add_argument("--out", required=True, help="folder of the prepared copies")
    p.add_argument("--short-side", type=positive_int, default=320,
                   help="short side of the copies in pixels, even (default 320)")
    p.add_argument("--keyint", type=positive_int, default=16,
                   help="frames between keyframes (default 16)")
    p.add_argument("--crf", type=int, default=20, help="x264 constant rate factor (default 20)")
    p.add_argument("--preset", default="fast", help="x264 preset (default fast)")
    p.add_argument("--bframes", type=int, default=3,
                   help="x264 B-frames, never used as references (default 3)")
    p.add_argument("--adaptive-bframes", action="store_true",
                   help="let x264 place 0..--bframes B-frames between references (smaller "
                        "files; default: always --bframes, so a clip skips more frames)")
    p.add_argument("--workers", type=positive_int, default=1, help="processes (default 1)")
    return p.parse_args(argv)


def _prepare(job: Tuple[str, str, object]) -> Tuple[str, Optional[dict], Optional[str]]:
    from sgfb.data.prepared_videos import encode_prepared
    from sgfb.data.video_errors import VideoDecodeError

    source, target, settings = job
    try:
        return source, encode_prepared(source, target, settings), None
    except (VideoDecodeError, OSError, ValueError) as err:
        return source, None, str(err)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    import av

    from sgfb.data.prepared_videos import (PrepareSettings, append_manifest, is_current,
                                           read_manifest)
    from sgfb.utils.atomic_io import remove_stale_temporaries
    from sgfb.utils.output_paths import check_inputs_exist, check_output_location, find_videos
    from sgfb.utils.workers import process_pool

    check_inputs_exist({"--videos": args.videos})
    if not os.path.isdir(args.videos):
        raise UserError(f"--videos {args.videos}: not a folder")
    check_output_location(args.out, [args.videos], "--out", "dir")
    settings = PrepareSettings(args.short_side, args.keyint, args.crf, args.preset,
                               args.bframes, fixed_bframes=not args.adaptive_bframes)
    try:
        settings.check()
    except ValueError as err:
        raise UserError(str(err)) from None
    if settings.codec not in av.codec.codecs_available:
        raise UserError(f"this PyAV build has no {settings.codec} encoder")
    sources = find_videos([args.videos])
    root = os.path.abspath(args.videos)
    names = {s: os.path.relpath(os.path.abspath(s), root).replace(os.sep, "/")
             for s in sources}
    os.makedirs(args.out, exist_ok=True)
    remove_stale_temporaries(args.out, recursive=True)
    manifest = read_manifest(args.out)
    jobs, current = [], 0
    for source in sources:
        target = os.path.join(args.out, names[source])
        if is_current(manifest.get(names[source]), source, target, settings):
            current += 1
        else:
            jobs.append((source, target, settings))
    print(f"{len(sources)} videos: {current} already prepared, {len(jobs)} to encode")
    failed: List[str] = []
    done = 0

    def record(source: str, entry: Optional[dict], error: Optional[str]) -> None:
        nonlocal done
        if entry is None:
            failed.append(f"{source}: {error}")
            print(f"failed: {source}: {error}", file=sys.stderr)
            return
        append_manifest(args.out, {"name": names[source], **entry})
        done += 1
        print(f"[{done + len(failed)}/{len(jobs)}] {names[source]}: {entry['frames']} frames, "
              f"{entry['width']}x{entry['height']}, {entry['bytes'] / 1e6:.2f} MB")

    if args.workers == 1 or len(jobs) < 2:
        for job in jobs:
            record(*_prepare(job))
    else:
        with process_pool(min(args.workers, len(jobs))) as pool:
            for result in pool.map(_prepare, jobs):
                record(*result)
    if failed:
        raise UserError(f"{len(failed)} of {len(sources)} videos failed: "
                        + "; ".join(failed))
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
