#!/usr/bin/env python
"""Score AG-format scene graphs with a trained ST-SGN checkpoint; writes a CSV with
`frame_key` (frame level) or `video_id` (video level), `split`, then one column per class
(c000, ...).

    python tools/predict_stsgn.py --checkpoint runs/x/model.pt --annotations ag_dir \\
        --fps-table video_fps.json --level frame --out scores.csv

By default only the videos the checkpoint was neither trained nor validated on are scored
(`--split test`: its recorded test videos and any video its split does not list), so that
evaluate_stsgn.py measures held-out videos. `--split train|val` scores those parts of the
checkpoint's split, `--split all` everything (each row then names its part, and
evaluate_stsgn.py refuses to score the mixture). `--graphs` scores predicted scene graphs
instead of the ground truth: a folder of per-video .npz files or the one-file
graph set (both as test_sg.py --save-graphs writes them).
"""
from __future__ import annotations

from sgfb.evaluation.stsgn_scores import SPLITS
from sgfb.utils.cli import nonnegative_float, run_cli, tool_parser


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--annotations", required=True, help="AG annotation dir or object pickle")
    p.add_argument("--fps-table", default="", help="fps table JSON or the videos directory")
    p.add_argument("--graphs", default="",
                   help="predicted scene graphs: a folder of per-video .npz files or one "
                        "graph-set .npz (default: the ground-truth graphs)")
    p.add_argument("--level", choices=("frame", "video"), required=True)
    p.add_argument("--split", choices=SPLITS, default="test",
                   help="which videos of the checkpoint's split to score (default: test, the "
                        "videos it was not trained or validated on)")
    p.add_argument("--window", type=nonnegative_float, default=None,
                   help="T seconds (default: the checkpoint's when it was trained at this level, "
                        "else 10)")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    from sgfb.models.stsgn import load_model              # torch: only after parsing
    from sgfb.training.stsgn import load_graph_data, predict_to_csv

    model, ckpt = load_model(args.checkpoint)
    data = load_graph_data(args.annotations, args.fps_table, args.graphs,
                           model.config.relationships)
    window = args.window
    if window is None:
        window = ckpt["window"] if ckpt["task"] == args.level else 10.0
    rows, split = predict_to_csv(model, data, args.level, window, args.out, args.split,
                                 ckpt.get("split"))
    print(f"wrote {rows} {args.level} rows of the {split} split to {args.out} (T={window}, "
          f"{'predicted' if args.graphs else 'ground-truth'} graphs)")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
