#!/usr/bin/env python
"""Print the counts of an Action Genome and/or Charades download as one JSON object.

    python tools/dataset_stats.py --ag ActionGenome/annotations --charades Charades_v1_train.csv

Every Charades row is validated (an invalid one is an error naming file, line, field and
value; --lenient skips such rows and prints how many).
"""
from __future__ import annotations

import json
import sys

from sgfb.engine.cli import run_cli, tool_parser


def main(argv=None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--ag", help="AG annotation directory or object_bbox_and_relationship.pkl")
    parser.add_argument("--charades", nargs="+", help="Charades_v1_train.csv / _test.csv")
    parser.add_argument("--classes", help="Charades_v1_classes.txt (default: Charades' 157 ids)")
    parser.add_argument("--lenient", action="store_true",
                        help="skip invalid Charades rows (counted) instead of stopping")
    args = parser.parse_args(argv)
    if not args.ag and not args.charades:
        parser.error("give --ag and/or --charades")

    from sgfb.data.action_genome import ActionGenome
    from sgfb.data.charades import Charades
    from sgfb.data.stats import action_genome_stats, charades_stats

    out = {}
    if args.ag:
        out["ag"] = action_genome_stats(ActionGenome.load(args.ag, preset="keep_all"))
    if args.charades:
        out["charades"] = charades_stats(Charades.load(args.charades, args.classes,
                                                       lenient=args.lenient))
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
