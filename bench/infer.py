#!/usr/bin/env python
"""End-to-end inference throughput (seconds of video per second of processing), broken down
by stage (decode, detection, relations, bank, action model), for the checkpoints of
`make demo` (small configs) or any pair you name.

It runs the pipeline twice on the same videos: as tools/infer.py does (frames batched for the
scene-graph model) and one frame at a time (the reference per-frame loop of most scene-graph
demos), and prints the ratio.

    python bench/infer.py [--videos demo_output/dataset/videos --count 4] \\
        [--sg-checkpoint demo_output/scene_graphs/model.pt \\
         --action-checkpoint demo_output/sgfb/model.pt] [--device cpu] [--threads 2]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.engine.cli import run_cli, tool_parser
from sgfb.pipelines.inference import InferenceConfig, VideoPipeline, find_videos  # noqa: E402


def run(sg: str, action: str, videos, device: str, batch_size: int, views: int, crops: int):
    cfg = InferenceConfig(batch_size=batch_size, views=views, crops=crops, write_video=False,
                          progress=False)
    pipeline = VideoPipeline(sg, action, device, cfg)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = pipeline.run(videos, out, log=lambda m: None)
        wall = time.perf_counter() - start
    if summary.failed:
        raise SystemExit(f"failed: {[r.errors for r in summary.failed]}")
    return summary, wall


def main() -> int:
    p = tool_parser(__doc__)
    p.add_argument("--videos", default=os.path.join(ROOT, "demo_output", "dataset", "videos"))
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--sg-checkpoint", default=os.path.join(ROOT, "demo_output", "scene_graphs", "model.pt"))
    p.add_argument("--action-checkpoint", default=os.path.join(ROOT, "demo_output", "sgfb", "model.pt"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--views", type=int, default=10)
    p.add_argument("--crops", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    for path in (args.sg_checkpoint, args.action_checkpoint):
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found: run `make demo` first or name checkpoints")
    torch.set_num_threads(args.threads)
    videos = find_videos([args.videos])[:args.count]
    # warm-up (file cache, first-call set-up), then each variant twice, alternating; the
    # faster of its two runs is reported
    run(args.sg_checkpoint, args.action_checkpoint, videos[:1], args.device, 8, 1, 1)
    variants = (("batched (tools/infer.py)", 8), ("one frame at a time", 1))
    timed = {name: [] for name, _ in variants}
    for _ in range(args.repeats):
        for name, batch in variants:
            timed[name].append(run(args.sg_checkpoint, args.action_checkpoint, videos,
                                   args.device, batch, args.views, args.crops))
    results = {}
    for name, _ in variants:
        summary, wall = min(timed[name], key=lambda r: r[1])
        results[name] = (summary, wall)
        stages = summary.seconds
        print(f"{name}: {len(videos)} videos, {summary.video_seconds:.1f} s of video in "
              f"{wall:.1f} s -> {summary.video_seconds / wall:.2f} s of video per second")
        print("  " + ", ".join(f"{k} {v:.2f} s ({100 * v / wall:.0f} %)" for k, v in stages.items()))
        slowest = max(stages, key=stages.get)
        print(f"  slowest stage: {slowest}")
    (a, wa), (b, wb) = results.values()
    print(f"batched / per-frame throughput ratio: {wb / wa:.2f}x "
          f"(scene-graph stages: {(b.seconds['detection'] + b.seconds['relations']) / max(a.seconds['detection'] + a.seconds['relations'], 1e-9):.2f}x)")
    print(f"device: {args.device}, torch threads: {args.threads}, views {args.views} x crops {args.crops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
