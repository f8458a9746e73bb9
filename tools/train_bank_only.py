#!/usr/bin/env python
"""Actions from scene-graph banks alone (no video): the bank-only SGFB model, trained and
tested on the same samples and splits as the ST-SGN experiments (tools/train_stsgn.py).

    python tools/train_bank_only.py --annotations ../shared/data/ag_real_subset \\
        --charades ../shared/data/charades/Charades_v1_train.csv \\
        --fps-table ../shared/data/charades/video_fps.json --task frame --window 0 \\
        --seeds 0 1 2 --out bank_only_frame.json

Oracle banks (ground-truth graphs) by default; --graphs DIR uses predicted graphs. Prints the
test mAP per seed and its mean and standard deviation (over the seeds, as grid_stsgn.py).
"""
from __future__ import annotations

from sgfb.utils.atomic_io import write_json
from sgfb.utils.cli import nonnegative_float, nonnegative_int, run_cli, tool_parser
from sgfb.utils.config import apply_overrides
from sgfb.utils.output_paths import check_inputs_exist, check_output_location


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--annotations", required=True)
    p.add_argument("--charades", nargs="+", required=True)
    p.add_argument("--classes")
    p.add_argument("--fps-table")
    p.add_argument("--graphs", help="predicted scene graphs dir (default: ground truth)")
    p.add_argument("--task", choices=("frame", "video"), default="frame")
    p.add_argument("--window", type=nonnegative_float, help="T seconds (default 0 for frame, 10 for video)")
    p.add_argument("--pool", choices=("max", "mean"), default="max")
    p.add_argument("--seeds", type=nonnegative_int, nargs="+", default=[0])
    p.add_argument("--out", help="JSON of every run and the summary")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", help="key=value, e.g. train.lr=1e-3 hidden=256")
    args = p.parse_intermixed_args(argv)
    inputs = check_inputs_exist({"--annotations": args.annotations, "--charades": args.charades,
                                 "--classes": args.classes, "--fps-table": args.fps_table,
                                 "--graphs": args.graphs})
    if args.out:
        check_output_location(args.out, inputs, kind="file")
    from sgfb.training.bank_only import BankOnlyConfig, run_bank_only, summarise_seeds  # torch

    runs = {}
    for seed in args.seeds:
        cfg = BankOnlyConfig(pool=args.pool)
        d = cfg.data
        d.annotations, d.charades, d.task, d.seed = args.annotations, list(args.charades), args.task, seed
        cfg.train.seed = seed   # each seed: another split and another init
        d.classes, d.fps, d.graphs = args.classes or "", args.fps_table or "", args.graphs or ""
        d.window = args.window if args.window is not None else (10.0 if args.task == "video" else 0.0)
        cfg.train.progress = not args.no_progress
        apply_overrides(cfg, args.overrides)
        runs[seed] = run_bank_only(cfg, log=print if not args.no_progress else (lambda m: None))
        print(f"seed {seed}: test mAP {runs[seed]['metrics']['test']['mAP']:.4f} "
              f"(best epoch {runs[seed]['best_epoch']})")
    summary = summarise_seeds(runs)
    print(f"bank-only-{args.pool} {args.task}: test mAP {summary['mean']:.4f} ± {summary['std']:.4f}")
    if args.out:
        write_json(args.out, {"summary": summary, "runs": {str(k): v for k, v in runs.items()}})
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
