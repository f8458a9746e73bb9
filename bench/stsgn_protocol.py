#!/usr/bin/env python
"""The ST-SGN protocol on the real AG subset (issue #15 step 4): one fixed video split
(data.seed), several initialisations (train.seed), every chosen model, one split reported.

Choosing (recipe, T, ...) is done with ``--report val``: only validation numbers are printed
and recorded. The held-out test split is reported once, with ``--report test``, after the
choices are frozen. Each run appends a JSON line to ``--out``; ``--table`` turns such a file
into the markdown table of docs/results.md (mean ± std over the seeds).

    python bench/stsgn_protocol.py --data ../shared/data --models relmat-bigru gine-person-bigru \
        --bank-only --seeds 0 1 2 --report val --out runs/val.jsonl [model.norm=layer ...]
    python bench/stsgn_protocol.py --table runs/test.jsonl
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from collections import defaultdict

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.utils.config import apply_overrides  # noqa: E402
from sgfb.training.bank_only import BankOnlyConfig, run_bank_only  # noqa: E402
from sgfb.stsgn.experiment import (ExperimentConfig, load_charades,  # noqa: E402
                                   load_graph_data, run_experiment)


def table(path: str) -> str:
    runs = defaultdict(list)
    val = defaultdict(list)
    seen = set()
    split = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            key = (r["model"], r["T"])
            if (key, r["seed"]) in seen:     # a seed run twice (a resumed run) counts once
                continue
            seen.add((key, r["seed"]))
            runs[key].append(r["mAP"])
            val[key].append(r.get("val_mAP", float("nan")))
            split = r["split"]
    lines = [f"| model | T (s) | frame mAP ({split}), mean ± std | val mAP | seeds | per seed |",
             "|---|---|---|---|---|---|"]
    for (name, window), values in sorted(runs.items(), key=lambda kv: -float(np.mean(kv[1]))):
        v = val[(name, window)]
        lines.append(f"| {name} | {window:g} | {100 * np.mean(values):.1f} ± "
                     f"{100 * np.std(values):.1f} | {100 * np.mean(v):.1f} | {len(values)} | "
                     + ", ".join(f"{100 * x:.1f}" for x in values) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    p.add_argument("--models", nargs="*", default=[])
    p.add_argument("--bank-only", action="store_true", help="also the bank-only SGFB model")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--report", choices=("val", "test"), default="val")
    p.add_argument("--out", help="JSON lines, one per run (appended)")
    p.add_argument("--runs", help="folder for each run's history.jsonl / TensorBoard")
    p.add_argument("--table", help="print the markdown table of a --out file and stop")
    p.add_argument("overrides", nargs="*", help="key=value for every ST-SGN model")
    args = p.parse_intermixed_args()
    if args.table:
        print(table(args.table))
        return 0
    d = args.data
    base = ExperimentConfig()
    base.data.annotations = os.path.join(d, "ag_real_subset")
    base.data.charades = [os.path.join(d, "charades", "Charades_v1_train.csv")]
    base.data.classes = os.path.join(d, "charades", "Charades_v1_classes.txt")
    base.data.fps = os.path.join(d, "charades", "video_fps.json")
    base.data.task = "frame"
    base.train.progress = False
    bank_overrides = [o for o in args.overrides if o.startswith(("train.", "data."))]
    apply_overrides(base, args.overrides)
    charades = load_charades(base.data.charades, base.data.classes)
    data = load_graph_data(base.data.annotations, base.data.fps, "", base.model.relationships)
    jobs = [(m, s) for m in args.models for s in args.seeds]
    if args.bank_only:
        jobs += [("bank-only-sgfb", s) for s in args.seeds]
    for name, seed in jobs:
        start = time.perf_counter()
        run_dir = os.path.join(args.runs, f"{name}-s{seed}") if args.runs else None
        if name == "bank-only-sgfb":
            cfg = BankOnlyConfig()
            cfg.data = copy.deepcopy(base.data)
            cfg.train.progress = False
            apply_overrides(cfg, bank_overrides)
            cfg.train.seed = seed
            result = run_bank_only(cfg, log=lambda _: None, ag=data.ag, out_dir=run_dir)
            measured, best_epoch = result["metrics"], result["best_epoch"]
        else:
            cfg = copy.deepcopy(base)
            cfg.model.name = name
            cfg.train.seed = seed
            run = run_experiment(cfg, log=lambda _: None, data=data, charades=charades,
                                 out_dir=run_dir)
            measured = run.metrics
            best_epoch = max(range(len(run.history)), key=lambda e: (
                run.history[e]["val_mAP"] if cfg.train.select == "val_mAP"
                else -run.history[e]["val_loss"], -e))
        record = {"model": name, "seed": seed, "split": args.report,
                  "mAP": measured[args.report]["mAP"], "val_mAP": measured["val"]["mAP"],
                  "best_epoch": best_epoch, "seconds": round(time.perf_counter() - start, 1),
                  "T": base.data.window, "overrides": args.overrides}
        print(json.dumps(record), flush=True)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
