#!/usr/bin/env python
"""mAP and top-1 of a prediction CSV (from predict_stsgn.py) against Charades labels.

    python tools/evaluate_stsgn.py --predictions scores.csv --charades Charades_v1_train.csv \\
        --fps-table video_fps.json --classes Charades_v1_classes.txt \\
        --per-class-json ap.json --per-class-table ap.md

mAP follows the Charades protocol: the mean AP over the classes with at least one positive
sample; classes without positives are excluded (their count is printed). The CSV must hold
one split (predict_stsgn.py --split); the split scored is printed. Rows of unlabelled
videos, missing or unexpected class columns, short rows, non-numeric scores and an empty
CSV are errors naming the file and row.
"""
from __future__ import annotations

import json
import os

from sgfb.utils.atomic_io import atomic_write, write_json
from sgfb.data.action_genome import fps_lookup
from sgfb.evaluation.stsgn_scores import per_class_table
from sgfb.utils.cli import run_cli, tool_parser


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--predictions", required=True)
    p.add_argument("--charades", nargs="+", required=True)
    p.add_argument("--classes", default="",
                   help="Charades_v1_classes.txt (sets the class count; names in the table)")
    p.add_argument("--fps-table", default="", help="needed for frame-level CSVs")
    p.add_argument("--per-class-json", help="write the AP of every scored class here")
    p.add_argument("--per-class-table", help="write a markdown table of per-class AP, best first")
    args = p.parse_args(argv)
    for out in (args.per_class_json, args.per_class_table):
        if out and os.path.exists(args.predictions) and os.path.exists(out) \
                and os.path.samefile(out, args.predictions):
            raise ValueError(f"{out}: would overwrite the predictions; choose another path")
    from sgfb.training.stsgn import evaluate_csv, load_charades   # torch: only after parsing

    charades = load_charades(args.charades, args.classes)
    lookup = fps_lookup(args.fps_table or None)
    result = evaluate_csv(args.predictions, charades,
                          (lambda v: lookup(v if v.endswith(".mp4") else v + ".mp4")) if lookup else None)
    per_class = result.pop("per_class_ap")
    if args.per_class_json:
        names = charades.class_names
        write_json(args.per_class_json, {
            "split": result["split"], "level": result["level"],
            "ap": {k: {"ap": v, **({"name": names[int(k[1:])]} if names else {})}
                   for k, v in per_class.items()}})
    if args.per_class_table:
        with atomic_write(args.per_class_table, "w") as f:
            f.write(per_class_table(per_class, charades.class_names))
    print(json.dumps(result, indent=2, allow_nan=False))
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
