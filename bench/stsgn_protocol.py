#!/usr/bin/env python
"""The ST-SGN protocol on the real AG subset (issue #15 step 4): one fixed video split
(data.seed), several initialisations (train.seed), every chosen model, one split reported.

Choosing (recipe, T, ...) is done with ``--report val``: only validation numbers are printed
and recorded. The held-out test split is reported once, with ``--report test``, after the
choices are frozen. Each run appends a JSON line to ``--out``; ``--table`` turns such a file
into the markdown table of docs/results.md (mean ± std over the seeds). With two or more
seeds, each model's seed ensemble (the mean of its seeds' sigmoid scores) is recorded too, as
a line with ``"ensemble": [seeds]``; the table shows its mAP in its own column.

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

from sgfb.evaluation.mean_ap import mean_average_precision  # noqa: E402
from sgfb.utils.config import apply_overrides  # noqa: E402
from sgfb.training.bank_only import BankOnlyConfig, run_bank_only  # noqa: E402
from sgfb.training.stsgn import (ExperimentConfig, load_charades,  # noqa: E402
                                   load_graph_data, run_experiment)


def table(path: str) -> str:
    runs = defaultdict(list)
    val = defaultdict(list)
    ensemble = {}
    seen = set()
    split = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            key = (r["model"], r["T"])
            if "ensemble" in r:              # the latest ensemble of a model counts
                ensemble[key] = r
                continue
            if (key, r["seed"]) in seen:     # a seed run twice (a resumed run) counts once
                continue
            seen.add((key, r["seed"]))
            runs[key].append(r["mAP"])
            val[key].append(r.get("val_mAP", float("nan")))
            split = r["split"]
    lines = [f"| model | T (s) | frame mAP ({split}), mean ± std | val mAP | seeds | per seed "
             f"| seed ensemble ({split} / val) |",
             "|---|---|---|---|---|---|---|"]
    for (name, window), values in sorted(runs.items(), key=lambda kv: -float(np.mean(kv[1]))):
        v = val[(name, window)]
        e = ensemble.get((name, window))
        lines.append(f"| {name} | {window:g} | {100 * np.mean(values):.1f} ± "
                     f"{100 * np.std(values):.1f} | {100 * np.mean(v):.1f} | {len(values)} | "
                     + ", ".join(f"{100 * x:.1f}" for x in values)
                     + (f" | {100 * e['mAP']:.1f} / {100 * e['val_mAP']:.1f} |" if e else " | - |"))
    return "\n".join(lines) + "\n"


def ensemble_record(name: str, seeds: list, scored: list, report: str, window: float,
                    overrides: list) -> dict:
    """mAP of the mean of several runs' sigmoid scores (the same split, so the same samples
    in the same order), on ``report`` and on val."""
    def mean_ap(split: str) -> float:
        targets = scored[0][split][1]
        return mean_average_precision(np.mean([s[split][0] for s in scored], axis=0), targets)
    return {"model": name, "ensemble": list(seeds), "split": report, "mAP": mean_ap(report),
            "val_mAP": mean_ap("val"), "T": window, "overrides": overrides}


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
    scored = defaultdict(dict)    # model -> seed -> {split: (scores, targets)}
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
            scored[name][seed] = result["scores"]
        else:
            cfg = copy.deepcopy(base)
            cfg.model.name = name
            cfg.train.seed = seed
            run = run_experiment(cfg, log=lambda _: None, data=data, charades=charades,
                                 out_dir=run_dir)
            measured = run.metrics
            scored[name][seed] = run.scores
            best_epoch = max(range(len(run.history)), key=lambda e: (
                run.history[e]["val_mAP"] if cfg.train.select == "val_mAP"
                else -run.history[e]["val_loss"], -e))
        record = {"model": name, "seed": seed, "split": args.report,
                  "mAP": measured[args.report]["mAP"], "val_mAP": measured["val"]["mAP"],
                  "best_epoch": best_epoch, "seconds": round(time.perf_counter() - start, 1),
                  "T": base.data.window, "overrides": args.overrides}
        write(record, args.out)
        runs_of_model = scored[name]
        if len(runs_of_model) == len(args.seeds) > 1:
            write(ensemble_record(name, list(runs_of_model), list(runs_of_model.values()),
                                  args.report, base.data.window, args.overrides), args.out)
    return 0


def write(record: dict, out: str | None) -> None:
    print(json.dumps(record), flush=True)
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    sys.exit(main())
