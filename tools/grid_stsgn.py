#!/usr/bin/env python
"""Run the whole ST-SGN grid (3 encoders x 3 readouts x 4 reducers, plus RelMat) for a task
and write the result table as markdown in the layout of the paper's Tables 1 and 2.

    python tools/grid_stsgn.py --annotations DIR --charades CSV --fps-table JSON \\
        --task video --windows 2 5 10 15 --out grid_video.md train.max_epochs=30
"""
from __future__ import annotations

from sgfb.utils.config import apply_overrides
from sgfb.utils.atomic_io import atomic_write
from sgfb.utils.output_paths import check_inputs_exist, check_output_location
from sgfb.utils.cli import nonnegative_float, nonnegative_int, run_cli, tool_parser


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--annotations", required=True)
    p.add_argument("--charades", nargs="+", required=True)
    p.add_argument("--fps-table", default="")
    p.add_argument("--graphs", default="")
    p.add_argument("--task", choices=("frame", "video", "trimmed"), required=True)
    p.add_argument("--windows", type=nonnegative_float, nargs="+", default=None,
                   help="T values (video default: 2 5 10 15; frame: 0; unused for trimmed)")
    p.add_argument("--models", nargs="+", default=None,
                   help="only these models, mean and spread over --seeds (default: full grid)")
    p.add_argument("--seeds", type=nonnegative_int, nargs="+", default=[0])
    p.add_argument("--out", required=True, help="markdown file to write")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    inputs = check_inputs_exist({"--annotations": args.annotations, "--charades": args.charades,
                                 "--fps-table": args.fps_table, "--graphs": args.graphs})
    check_output_location(args.out, inputs, kind="file")
    from sgfb.training.stsgn import ExperimentConfig, load_charades, load_graph_data  # torch
    from sgfb.training.stsgn_grid import grid_markdown, run_grid, run_seeds, seeds_markdown

    config = ExperimentConfig()
    config.data.task = args.task
    config.train.progress = False
    apply_overrides(config, args.overrides)
    windows = args.windows or {"video": [2.0, 5.0, 10.0, 15.0], "frame": [0.0],
                               "trimmed": [0.0]}[args.task]
    charades = load_charades(args.charades)
    data = load_graph_data(args.annotations, args.fps_table, args.graphs,
                           config.model.relationships)
    metric = "top-1 accuracy" if args.task == "trimmed" else "mAP"
    if args.models:
        if len(windows) != 1:
            parser_error = f"--models takes one --windows value, got {windows}"
            raise SystemExit(parser_error)
        config.data.window = windows[0]
        table = seeds_markdown(run_seeds(config, args.models, args.seeds, data, charades), metric)
    else:
        table = grid_markdown(run_grid(config, windows, data, charades), windows, metric)
    with atomic_write(args.out, "w") as f:
        f.write(table)
    print(table)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
