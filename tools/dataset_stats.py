#!/usr/bin/env python
"""Print the counts of an Action Genome and/or Charades download as one JSON object.

    python tools/dataset_stats.py --ag ActionGenome/annotations --charades Charades_v1_train.csv
"""
from __future__ import annotations

import argparse
import json
import sys

from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades
from sgfb.data.stats import action_genome_stats, charades_stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ag", help="AG annotation directory or object_bbox_and_relationship.pkl")
    parser.add_argument("--charades", nargs="+", help="Charades_v1_train.csv / _test.csv")
    args = parser.parse_args(argv)
    if not args.ag and not args.charades:
        parser.error("give --ag and/or --charades")
    out = {}
    if args.ag:
        out["ag"] = action_genome_stats(ActionGenome.load(args.ag, preset="keep_all"))
    if args.charades:
        out["charades"] = charades_stats(Charades.load(args.charades))
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
