#!/usr/bin/env python
"""The main job on built-in synthetic data (what `make demo` runs): generate a dataset, train
and evaluate the scene-graph model (stage 1) and the backbone-only, SGFB and SGFB-oracle
action models (stage 2), and run inference on held-out videos.

    python tools/demo.py --out demo_output
    python tools/demo.py --out demo_seed1 --seed 1            # same world, another training
    python tools/demo.py --out demo_world1 --seed 1 --world-seed 1  # another synthetic world
    python tools/demo.py --out demo_quick --videos 6 --seconds 4 --detector-iters 5 \\
        --relation-iters 5 --backbone-iters 5 --head-iters 5 --head-seeds 1  # plumbing check

Ends with a table of the measured numbers and the paths of the outputs; all of it is also in
OUT/summary.json (with the wall and CPU seconds of each step). Iteration counts default to
configs/sg/demo_synthetic.yaml and configs/sgfb/demo_synthetic.yaml. OMP_WAIT_POLICY defaults
to PASSIVE (idle OpenMP threads sleep; see docs/benchmarks.md).
"""
from __future__ import annotations

import os
import time

# Idle OpenMP threads sleep instead of spinning: on a shared machine two spinning threads
# cost 6-9x the CPU of one (docs/benchmarks.md, "Demo detector iteration"). Set before torch
# is imported (the OpenMP runtime reads it once); an explicit setting is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from sgfb.utils.cli import (  # noqa: E402
    nonnegative_int, positive_float, positive_int, probability, run_cli, tool_parser)
from sgfb.demo import DemoConfig, format_table, run_demo  # noqa: E402


def main(argv=None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--out", default="demo_output", help="output directory")
    d = DemoConfig()
    parser.add_argument("--videos", type=positive_int, default=d.videos,
                        help="synthetic videos")
    parser.add_argument("--test-videos", type=positive_int, default=None,
                        help="of which held out for the test metrics, default: a third")
    parser.add_argument("--empty-video-share", type=probability, default=d.empty_video_share,
                        help="probability that a synthetic video has no action (the "
                             "generator's default: 0.03)")
    parser.add_argument("--seconds", type=positive_float, default=d.seconds,
                        help="length of each video")
    parser.add_argument("--seed", type=nonnegative_int, default=d.seed,
                        help="seed of every training run (the world stays --world-seed's)")
    parser.add_argument("--world-seed", type=nonnegative_int, default=d.world_seed,
                        help="seed of the synthetic world (default: the demo's world, "
                             "whatever --seed)")
    parser.add_argument("--workers", type=positive_int, default=d.workers,
                        help="processes for dataset generation and frame extraction")
    for name in ("detector", "relation", "backbone", "head"):
        parser.add_argument(f"--{name}-iters", type=nonnegative_int, default=None,
                            help="default: the demo config's")
    parser.add_argument("--head-seeds", type=positive_int, default=None,
                        help="bank heads per SGFB row, trained with seeds SEED, SEED+1, ... on "
                             "one backbone; the row is their mean mAP (default: the demo "
                             "config's head_seeds)")
    args = parser.parse_args(argv)
    if args.videos < 5:
        parser.error("--videos must be at least 5 (train and test videos of the split)")
    if args.test_videos is not None and args.test_videos >= args.videos:
        parser.error(f"--test-videos must be below --videos ({args.videos}), "
                     f"got {args.test_videos}")
    start = time.perf_counter()
    result = run_demo(args.out, DemoConfig(args.videos, args.seconds, args.seed, args.workers,
                                           args.detector_iters, args.relation_iters,
                                           args.backbone_iters, args.head_iters,
                                           test_videos=args.test_videos,
                                           head_seeds=args.head_seeds,
                                           empty_video_share=args.empty_video_share,
                                           world_seed=args.world_seed))
    total = result.seconds["total"]
    print("\n" + format_table(result.metrics, result.heads))
    stolen = result.machine.get("hypervisor_steal_cpu_seconds")
    print(f"\ndone in {time.perf_counter() - start:.0f} s wall, {total['cpu']:.0f} s CPU "
          "(user + system; per step in summary.json)"
          + (f"; the hypervisor gave {stolen:.0f} CPU-s of this machine's cores to other "
             "guests meanwhile" if stolen else ""))
    print(f"  summary:          {result.outputs['summary']}")
    print(f"  report:           {result.outputs['report']}")
    for path in result.inference_paths:
        print(f"  predictions:      {path} (+ {os.path.basename(path)[:-len('.json')]}.annotated.mp4)")
    print(f"  models:           {result.outputs['scene_graph_model']}")
    print(f"                    {result.outputs['action_model']}")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
