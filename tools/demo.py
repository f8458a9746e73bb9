#!/usr/bin/env python
"""The main job on built-in synthetic data (what `make demo` runs)."""
from __future__ import annotations

import argparse
import sys
import time

from sgfb.pipelines.demo import run_demo


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="demo_output", help="output directory")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run_demo(args.out, videos=args.videos, seed=args.seed, seconds=args.seconds,
                      workers=args.workers)
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    print(f"  dataset:       {result.dataset_dir}")
    print(f"  frames:        {result.frames_dir}")
    print(f"  contact sheet: {result.contact_sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
