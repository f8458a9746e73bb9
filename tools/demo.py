#!/usr/bin/env python
"""The main job on built-in synthetic data (what `make demo` runs): generate a dataset, train
and evaluate the scene-graph model, SGFB and ST-SGN, and run inference on held-out videos."""
from __future__ import annotations

import time

from sgfb.utils.cli import nonnegative_int, positive_float, positive_int, run_cli, tool_parser
from sgfb.demo import DemoConfig, format_table, run_demo


def main(argv=None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--out", default="demo_output", help="output directory")
    d = DemoConfig()
    parser.add_argument("--videos", type=positive_int, default=d.videos)
    parser.add_argument("--seconds", type=positive_float, default=d.seconds)
    parser.add_argument("--seed", type=nonnegative_int, default=d.seed)
    parser.add_argument("--workers", type=positive_int, default=d.workers)
    parser.add_argument("--detector-iters", type=nonnegative_int, default=d.detector_iters)
    parser.add_argument("--relation-iters", type=nonnegative_int, default=d.relation_iters)
    parser.add_argument("--action-iters", type=nonnegative_int, default=d.action_iters)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run_demo(args.out, DemoConfig(args.videos, args.seconds, args.seed, args.workers,
                                           args.detector_iters, args.relation_iters,
                                           args.action_iters))
    print("\n" + format_table(result.metrics))
    print(f"\ndone in {time.perf_counter() - start:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in result.seconds.items())})")
    for path in result.inference_paths:
        print(f"  predictions:    {path}")
        print(f"  annotated video: {path[:-len('.json')]}.annotated.mp4")
    print(f"  report:         {result.outputs['report']}")
    print(f"  models:         {result.outputs['scene_graph_model']}, {result.outputs['action_model']}")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
