#!/usr/bin/env python
"""Generate a synthetic Action Genome / Charades dataset in the real download layout.

    python tools/make_synthetic.py --out DIR --videos N --seed S \\
        [--size WxH] [--seconds S] [--test-videos N] [--empty-video-share P] [--workers N] \\
        [--annotations-only]

Writes DIR/videos/*.mp4, DIR/annotations/ (the five AG files) and DIR/charades/ (CSVs,
classes, fps table); see :mod:`sgfb.synthetic`. Prints a summary.
"""
from __future__ import annotations

import argparse
from typing import List, Optional, Tuple

from sgfb.utils.cli import nonnegative_int, positive_float, positive_int, probability, run_cli, \
    tool_parser


def parse_size(text: str) -> Tuple[int, int]:
    """``"320x240"`` -> (320, 240)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 320x240, got {text!r}") from None
    return width, height


def main(argv: Optional[List[str]] = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--videos", type=positive_int, required=True, help="number of videos")
    parser.add_argument("--seed", type=nonnegative_int, required=True, help="random seed (>= 0)")
    parser.add_argument("--size", type=parse_size, default=(320, 240), help="WxH, default 320x240")
    parser.add_argument("--seconds", type=positive_float, default=10.0, help="video length, default 10")
    parser.add_argument("--test-videos", type=nonnegative_int, default=None,
                        help="videos in the test split, default: 20%% of --videos")
    parser.add_argument("--empty-video-share", type=probability, default=None,
                        help="probability that a video has no labelled action, from 0 to 1; "
                             "default 0.03, about Charades' share")
    parser.add_argument("--workers", type=positive_int, default=None, help="processes, default: CPU cores")
    parser.add_argument("--annotations-only", action="store_true",
                        help="write the annotation files only, no videos (fast; for graph studies)")
    args = parser.parse_args(argv)
    from sgfb.synthetic.generate import make_synthetic     # OpenCV, PyAV: only after parsing

    share = {} if args.empty_video_share is None else {"empty_video_share": args.empty_video_share}
    try:
        summary = make_synthetic(args.out, args.videos, args.seed, size=args.size,
                                 seconds=args.seconds, workers=args.workers,
                                 render=not args.annotations_only,
                                 test_videos=args.test_videos, **share)
    except ValueError as exc:
        parser.error(str(exc))
    print(summary)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
