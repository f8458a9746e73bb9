#!/usr/bin/env python
"""End-to-end inference (tools/infer.py) decoding each video once, against the approach
before it (bench/infer_reference.py: the sampled views, every test view and timeline clip,
and the annotated-mp4 writer each decode again, and the timeline re-runs the backbone for
every step), on the same videos and checkpoints, in one run.

Prints, per variant: seconds of video per second of processing, seconds per stage, and the
bytes read from each video file (through read(2), from /proc/self/io, page cache or not) as
a multiple of its size; then the speed ratio and the bytes ratio.

    python bench/infer.py [--videos demo_output/dataset/videos --count 4] \\
        [--sg-checkpoint demo_output/scene_graphs/model.pt \\
         --action-checkpoint demo_output/sgfb/model.pt] [--device cpu] [--threads 2] \\
        [--views 10 --crops 3] [--no-video] [--repeats 2]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from infer_reference import reference_run  # noqa: E402
from sgfb.utils.cli import run_cli, tool_parser  # noqa: E402
from sgfb.utils.output_paths import find_videos  # noqa: E402
from sgfb.inference.pipeline import InferenceConfig, VideoPipeline  # noqa: E402
from sgfb.visualization.inference_outputs import inference_writers  # noqa: E402


def read_chars() -> int:
    """Bytes this process has read through read(2) so far (``rchar``, cache hits included)."""
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])


def run(variant: str, sg: str, action: str, videos, device: str, cfg: InferenceConfig):
    """``(summary, wall seconds, bytes read per video)`` of one variant over ``videos``."""
    pipeline = VideoPipeline(sg, action, device, cfg, writers=inference_writers())
    marks = []

    def log(message: str) -> None:
        if message.startswith("["):
            marks.append(read_chars())

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        if variant == "reference":
            summary = reference_run(pipeline, videos, out, log=log)
        else:
            summary = pipeline.run(videos, out, log=log)
        wall = time.perf_counter() - start
        marks.append(read_chars())
    if summary.failed:
        raise SystemExit(f"failed: {[r.errors for r in summary.failed]}")
    return summary, wall, [b - a for a, b in zip(marks, marks[1:])]


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--videos", default=os.path.join(ROOT, "demo_output", "dataset", "videos"))
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--sg-checkpoint",
                   default=os.path.join(ROOT, "demo_output", "scene_graphs", "model.pt"))
    p.add_argument("--action-checkpoint",
                   default=os.path.join(ROOT, "demo_output", "sgfb", "model.pt"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--views", type=int, default=10)
    p.add_argument("--crops", type=int, default=3)
    p.add_argument("--no-video", action="store_true", help="without the annotated mp4s")
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    for path in (args.sg_checkpoint, args.action_checkpoint):
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: run `make demo` first or name checkpoints")
    torch.set_num_threads(args.threads)
    videos = find_videos([args.videos])[:args.count]
    sizes = [os.path.getsize(v) for v in videos]
    cfg = InferenceConfig(views=args.views, crops=args.crops, write_video=not args.no_video,
                          progress=False)
    # warm-up (file cache, first-call set-up), then the variants alternating; the faster
    # run of each is reported
    for variant in ("reference", "decode once"):
        run(variant, args.sg_checkpoint, args.action_checkpoint, videos[:1], args.device, cfg)
    timed = {"reference": [], "decode once": []}
    for _ in range(args.repeats):
        for variant in timed:
            timed[variant].append(run(variant, args.sg_checkpoint, args.action_checkpoint,
                                      videos, args.device, cfg))
            print(f"  ({variant}: {timed[variant][-1][1]:.1f} s)", flush=True)
    best = {}
    for variant, runs in timed.items():
        summary, wall, read = best[variant] = min(runs, key=lambda r: r[1])
        multiples = [r / s for r, s in zip(read, sizes)]
        print(f"{variant}: {len(videos)} videos, {summary.video_seconds:.1f} s of video in "
              f"{wall:.1f} s -> {summary.video_seconds / wall:.2f} s of video per second")
        print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in summary.seconds.items()))
        print(f"  bytes read per video file: {min(multiples):.2f}x - {max(multiples):.2f}x "
              f"its size ({sum(read) / 1e6:.1f} MB for {sum(sizes) / 1e6:.1f} MB of video)")
    (_, w_ref, r_ref), (_, w_new, r_new) = best["reference"], best["decode once"]
    print(f"decode once vs reference: {w_ref / w_new:.2f}x faster end to end, "
          f"{sum(r_ref) / sum(r_new):.1f}x fewer bytes read; decode once reads at most "
          f"{max(r / s for r, s in zip(r_new, sizes)):.2f}x a video's size")
    print(f"device: {args.device}, torch threads: {args.threads}, views {args.views} x crops "
          f"{args.crops}, annotated mp4: {not args.no_video}")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
