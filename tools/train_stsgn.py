#!/usr/bin/env python
"""Train an ST-SGN model (or the RelMat baseline) on AG-format scene graphs.

    python tools/train_stsgn.py --annotations ag_real_subset --charades Charades_v1_train.csv \\
        --fps-table video_fps.json --task frame --model gine-person-bigru --out runs/x \\
        train.lr=1e-3 model.hidden=512 data.window=0

Split (by video, seeded with data.seed): AG's own test set when the annotations have one,
else 15 % of the videos; 15 % for validation. Writes OUT/model.pt, OUT/metrics.json and
OUT/config.yaml, and per epoch the learning curves (train / val loss and mAP) and the
per-layer gradient, weight and activation norms to OUT/history.jsonl and TensorBoard (OUT/tb).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sgfb.utils.atomic_io import write_json
from sgfb.utils.cli import nonnegative_float, run_cli, tool_parser
from sgfb.utils.config import apply_mapping, apply_overrides, load_yaml
from sgfb.utils.output_paths import check_inputs_exist, check_output_location
from sgfb.utils.config import save_resolved

if TYPE_CHECKING:
    from sgfb.training.stsgn import ExperimentConfig


def parse_args(argv=None):
    p = tool_parser(__doc__)
    p.add_argument("--annotations", required=True, help="AG annotation dir or object pickle")
    p.add_argument("--charades", nargs="+", required=True, help="Charades CSV(s) with labels")
    p.add_argument("--classes", help="Charades_v1_classes.txt (names in outputs)")
    p.add_argument("--fps-table", help="fps table JSON or the videos directory")
    p.add_argument("--graphs", help="predicted scene graphs: a folder of per-video .npz files or one graph-set "
                        ".npz (default: ground truth)")
    p.add_argument("--task", choices=("frame", "video", "trimmed"),
                   help="default: the config's, else frame")
    p.add_argument("--window", type=nonnegative_float, help="T seconds (default: the config's, else 10)")
    p.add_argument("--model", help="default: the config's, else gine-person-bigru")
    p.add_argument("--config", help="YAML file of config values")
    p.add_argument("--out", required=True)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("overrides", nargs="*", help="key=value, e.g. train.lr=1e-4")
    return p.parse_args(argv)


def build_config(args) -> ExperimentConfig:
    """Defaults, then the YAML file, then the flags that were given, then key=value."""
    from sgfb.training.stsgn import ExperimentConfig     # torch: only after parsing

    config = ExperimentConfig()
    file_values = load_yaml(args.config) if args.config else {}
    apply_mapping(config, file_values)
    d = config.data
    d.annotations, d.charades = args.annotations, list(args.charades)
    for flag, field_name in (("classes", "classes"), ("fps_table", "fps"), ("graphs", "graphs"),
                             ("task", "task"), ("window", "window")):
        if getattr(args, flag) is not None:
            setattr(d, field_name, getattr(args, flag))
    if args.model is not None:
        config.model.name = args.model
    if args.no_progress:
        config.train.progress = False
    return apply_overrides(config, args.overrides)


def main(argv=None) -> int:
    args = parse_args(argv)
    config = build_config(args)
    config.model.parts()  # an unknown model name fails here, before any data is read
    inputs = check_inputs_exist(config.data.input_paths())
    check_output_location(args.out, inputs)
    from sgfb.training.stsgn import load_charades, run_experiment, save_run

    charades = load_charades(config.data.charades, config.data.classes)
    save_resolved(config, args.out, echo=not args.no_progress)  # inputs are valid: now write
    run = run_experiment(config, charades=charades, out_dir=args.out)
    save_run(os.path.join(args.out, "model.pt"), config, run, charades.class_names,
             os.path.basename(args.config) if args.config else "")
    write_json(os.path.join(args.out, "metrics.json"),
               {"metrics": run.metrics, "history": run.history, "seconds": run.seconds})
    for part, values in run.metrics.items():
        print(part, " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in values.items()))
    print(f"checkpoint: {os.path.join(args.out, 'model.pt')}")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
