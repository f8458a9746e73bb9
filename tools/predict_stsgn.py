#!/usr/bin/env python
"""Score AG-format scene graphs with a trained ST-SGN checkpoint; writes a CSV with
`frame_key` (frame level) or `video_id` (video level) then one column per class (c000, ...).

    python tools/predict_stsgn.py --checkpoint runs/x/model.pt --annotations ag_dir \\
        --fps-table video_fps.json --level frame --out scores.csv
"""
from __future__ import annotations

from sgfb.stsgn.experiment import load_graph_data, load_model, predict_to_csv
from sgfb.engine.cli import nonnegative_float, run_cli, tool_parser


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--annotations", required=True, help="AG annotation dir or object pickle")
    p.add_argument("--fps-table", default="", help="fps table JSON or the videos directory")
    p.add_argument("--graphs", default="", help="predicted scene graphs dir (default: ground truth)")
    p.add_argument("--level", choices=("frame", "video"), required=True)
    p.add_argument("--window", type=nonnegative_float, default=None,
                   help="T seconds (default: the checkpoint's; 10 for video level if it has none)")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    model, ckpt = load_model(args.checkpoint)
    data = load_graph_data(args.annotations, args.fps_table, args.graphs,
                           model.config.relationships)
    window = args.window
    if window is None:
        window = ckpt["window"] if ckpt["task"] == args.level else (10.0 if args.level == "video" else 0.0)
    rows = predict_to_csv(model, data, args.level, window, args.out)
    print(f"wrote {rows} {args.level} rows to {args.out} (T={window})")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
