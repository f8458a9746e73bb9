#!/usr/bin/env python
r"""Extract the annotated Action Genome frames from the Charades videos.

    python tools/dump_frames.py --videos Charades_v1_480 --annotations ag/annotations \
        --out ag/frames --workers 8

Frames to extract: ANNOTATIONS/frame_list.txt, else the keys of
ANNOTATIONS/object_bbox_and_relationship.pkl (ANNOTATIONS may also be the .txt or .pkl).
Writes OUT/VIDEO.mp4/NNNNNN.png; rerunning resumes. Exits 1 when any video failed.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from sgfb.data.action_genome import read_frame_keys
from sgfb.data.frame_dump import dump_frames
from sgfb.data.video import BACKENDS


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", required=True, help="directory of VIDEO.mp4 files")
    parser.add_argument("--annotations", required=True,
                        help="AG annotation directory, frame_list.txt or annotation .pkl")
    parser.add_argument("--out", required=True, help="output frame directory")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--backend", choices=BACKENDS, default="pyav",
                        help="video decoder (default pyav: fastest for sequential dumping)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    keys = read_frame_keys(args.annotations)
    summary = dump_frames(args.videos, keys, args.out, workers=args.workers,
                          progress=not args.no_progress, backend=args.backend)
    print(summary.format())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
