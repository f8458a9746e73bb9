#!/usr/bin/env python
"""mAP and top-1 of a prediction CSV (from predict_stsgn.py) against Charades labels.

    python tools/evaluate_stsgn.py --predictions scores.csv --charades Charades_v1_train.csv \\
        --fps-table video_fps.json
"""
from __future__ import annotations

import json

from sgfb.data.action_genome import fps_lookup
from sgfb.stsgn.experiment import evaluate_csv, load_charades
from sgfb.engine.cli import run_cli, tool_parser


def main(argv=None) -> int:
    p = tool_parser(__doc__)
    p.add_argument("--predictions", required=True)
    p.add_argument("--charades", nargs="+", required=True)
    p.add_argument("--classes", default="", help="Charades_v1_classes.txt (sets the class count)")
    p.add_argument("--fps-table", default="", help="needed for frame-level CSVs")
    args = p.parse_args(argv)
    charades = load_charades(args.charades, args.classes)
    lookup = fps_lookup(args.fps_table or None)
    result = evaluate_csv(args.predictions, charades,
                          (lambda v: lookup(v if v.endswith(".mp4") else v + ".mp4")) if lookup else None)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
