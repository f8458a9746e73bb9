#!/usr/bin/env python
"""`make demo` over several seeds, one after another: the min-max of every number of the
final table, the seed-to-seed spread (max - min), whether the stage-2 ordering
backbone-only < SGFB predicted < SGFB oracle holds in every run and by margins larger than
that spread, and the wall / CPU seconds with the machine's load average (the README quotes
these ranges).

    python bench/demo_seeds.py --out demo_seeds --seeds 0 1 2      # training seeds, world 0
    python bench/demo_seeds.py --out demo_world2 --seeds 0 1 2 -- --world-seed 2
    python bench/demo_seeds.py --out demo_seeds_3pc --seeds 0 1 2 -- --empty-video-share 0.03

Each run is tools/demo.py --out OUT/seedS --seed S (a fresh process; the demo's world stays
the same, so the spread is the training's on one dataset), followed by any arguments given
after `--`; runs already complete (OUT/seedS/summary.json present) are read,
not repeated. OUT/ranges.json holds the result.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Dict, List, Mapping, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.utils.atomic_io import write_json  # noqa: E402
from sgfb.utils.cli import nonnegative_int, run_cli, tool_parser  # noqa: E402
from sgfb.demo import TABLE  # noqa: E402

ORDER = ("backbone-only mAP", "SGFB predicted mAP", "SGFB oracle mAP")


def seed_ranges(summaries: Sequence[Mapping]) -> Dict[str, object]:
    """Min, max and spread of each metric and of the total wall / CPU seconds over the runs'
    ``summary.json`` contents; the ordering check of :data:`ORDER`: per run, each step's
    margin (next minus previous), and whether the smallest margin exceeds both models'
    spreads."""
    if not summaries:
        raise ValueError("no demo runs to summarise")
    out: Dict[str, object] = {"runs": len(summaries), "metrics": {}, "seconds": {}}
    for key in sorted({k for s in summaries for k in s["metrics"]}):
        values = [s["metrics"][key] for s in summaries if key in s["metrics"]]
        out["metrics"][key] = {"min": min(values), "max": max(values),
                               "spread": max(values) - min(values)}
    for kind in ("wall", "cpu"):
        values = [s["seconds"]["total"][kind] for s in summaries]
        out["seconds"][kind] = {"min": min(values), "max": max(values)}
    steps = []
    for low, high in zip(ORDER, ORDER[1:]):
        margins = [s["metrics"][high] - s["metrics"][low] for s in summaries]
        spread = max(out["metrics"][low]["spread"], out["metrics"][high]["spread"])
        steps.append({"from": low, "to": high, "margins": margins, "spread": spread,
                      "holds": min(margins) > 0, "beyond_spread": min(margins) > spread})
    out["ordering"] = steps
    out["heads"] = head_spreads(summaries)
    out["load_average"] = [s.get("machine", {}).get("load_average_1_5_15_min") for s in summaries]
    return out


def head_spreads(summaries: Sequence[Mapping]) -> Dict[str, object]:
    """Per SGFB row whose runs average several bank heads (summary.json's ``heads``): the
    heads per run and the spread of one run's heads (max - min), smallest and largest over
    the runs: how far one head alone would move the row."""
    out: Dict[str, object] = {}
    for key in ORDER:
        runs = [(s.get("heads") or {}).get(key) for s in summaries]
        if all(runs):
            spreads = [r["max_mAP"] - r["min_mAP"] for r in runs]
            out[key] = {"heads": sorted({len(r["seeds"]) for r in runs}),
                        "spread_min": min(spreads), "spread_max": max(spreads)}
    return out


def format_ranges(ranges: Mapping) -> str:
    width = max(len(label) for _, label in TABLE)
    lines = [f"{'min - max over ' + str(ranges['runs']) + ' runs':<{width}}  range          spread"]
    for key, label in TABLE:
        if key in ranges["metrics"]:
            m = ranges["metrics"][key]
            lines.append(f"{label:<{width}}  {m['min']:.3f} - {m['max']:.3f}  {m['spread']:.3f}")
    for kind, s in ranges["seconds"].items():
        lines.append(f"{'total ' + kind + ' seconds':<{width}}  {s['min']:.0f} - {s['max']:.0f}")
    for step in ranges["ordering"]:
        lines.append(f"{step['from']} < {step['to']}: margins "
                     + ", ".join(f"{m:+.3f}" for m in step["margins"])
                     + f"; spread {step['spread']:.3f}; holds {step['holds']}, "
                       f"beyond the spread {step['beyond_spread']}")
    for key, h in ranges.get("heads", {}).items():
        lines.append(f"{key}: the mean of {'/'.join(map(str, h['heads']))} bank heads per run; "
                     f"one run's heads spread {h['spread_min']:.3f} - {h['spread_max']:.3f}")
    return "\n".join(lines)


def demo_command(run_dir: str, seed: int, demo_args: Sequence[str] = ()) -> List[str]:
    """The tools/demo.py command line of one run."""
    return [sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--out", run_dir,
            "--seed", str(seed), *demo_args]


def main(argv=None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--out", default="demo_seeds")
    parser.add_argument("--seeds", type=nonnegative_int, nargs="+", default=[0, 1, 2])
    parser.add_argument("demo_args", nargs=argparse.REMAINDER,
                        help="after --: more tools/demo.py arguments for every run")
    args = parser.parse_args(argv)
    demo_args = args.demo_args[1:] if args.demo_args[:1] == ["--"] else args.demo_args
    taken = [a for a in demo_args if a.split("=")[0] in ("--out", "--seed")]
    if taken:
        parser.error(f"{taken[0]} is set per run by --out and --seeds; not after --")
    summaries: List[dict] = []
    for seed in args.seeds:
        run_dir = os.path.join(args.out, f"seed{seed}")
        path = os.path.join(run_dir, "summary.json")
        if not os.path.isfile(path):
            subprocess.run(demo_command(run_dir, seed, demo_args), check=True)
        with open(path, encoding="utf-8") as f:
            summaries.append(json.load(f))
    ranges = seed_ranges(summaries)
    write_json(os.path.join(args.out, "ranges.json"), ranges)
    print(format_ranges(ranges))
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
