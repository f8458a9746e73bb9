#!/usr/bin/env python
"""Choose the demo's SGFB head learning rate on held-out training videos, never on the test
videos: on a finished demo output, hold out `--held-out` of the world's training videos
(seeded), train the backbone-only model of configs/sgfb/demo_synthetic.yaml on the others,
then the bank head (non-local FBO, or each of `--fbo`) on that frozen backbone at each
learning rate (and each `--head-iters` schedule), with the
predicted banks of DEMO/banks (or `--banks`) and with oracle banks, and score each on the
held-out videos. A head's mAP is the mean of the demo config's head_seeds heads, as in the
demo (`--head-seeds N` for another count). One torch thread, as in the demo. OUT/results.json holds every mAP.

    python tools/demo.py --out demo_seed1 --seed 1
    python bench/demo_head_lr.py --demo demo_seed1 --out runs/head_lr_seed1 \\
        --lrs 0.001 0.0003 0.0001
    python bench/demo_head_lr.py --demo demo_seed1 --out runs/head_iters_seed1 \\
        --lrs 0.0003 --head-iters 80 160        # schedules, on one retrained backbone

The held-out videos' backbone is trained without them: a backbone that saw them would make
its clip features look more reliable on them than on unseen videos. A finished backbone in
OUT/backbone (same --seed and --held-out) is reused, so heads can be compared across code
versions on one backbone; the heads' clip features are cached in OUT/clip_features.
"""
from __future__ import annotations

import csv
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sgfb.demo import DemoConfig, _action_config, _info, head_mean  # noqa: E402
from sgfb.utils.atomic_io import write_json  # noqa: E402
from sgfb.utils.cli import run_cli, tool_parser  # noqa: E402


def split_training_videos(train_csv: str, out_dir: str, held_out: int, seed: int) -> None:
    """OUT/train.csv (the rest) and OUT/val.csv (``held_out`` videos, seeded shuffle)."""
    with open(train_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not 0 < held_out < len(rows):
        raise ValueError(f"{train_csv}: cannot hold out {held_out} of {len(rows)} videos")
    ids = sorted(r["id"] for r in rows)
    random.Random(seed).shuffle(ids)
    val = set(ids[:held_out])
    for name, keep in (("train", False), ("val", True)):
        with open(os.path.join(out_dir, f"{name}.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(r for r in rows if (r["id"] in val) == keep)


def main(argv=None) -> int:
    import torch
    from sgfb.training.action import run_action_training

    p = tool_parser(__doc__)
    p.add_argument("--demo", required=True, help="a tools/demo.py output folder")
    p.add_argument("--out", required=True)
    p.add_argument("--banks", default=None, help="predicted banks (default: DEMO/banks)")
    p.add_argument("--lrs", type=float, nargs="+", default=[0.001, 0.0003, 0.0001])
    p.add_argument("--fbo", nargs="+", default=["nl"], choices=["nl", "max", "mean"],
                   help="feature bank operators to compare (default: the demo's nl); runs of "
                        "another than the first are named 'lr R oracle, fbo F'")
    p.add_argument("--held-out", type=int, default=8)
    p.add_argument("--seed", type=int, default=0, help="the held-out draw's seed")
    p.add_argument("--backbone-iters", type=int, default=None, help="default: the demo's")
    p.add_argument("--head-iters", type=int, nargs="+", default=[None],
                   help="one or more head schedules (default: the demo's); the runs of a second "
                        "or later count are named 'lr R oracle, N iterations'")
    p.add_argument("--head-seeds", type=int, default=None,
                   help="bank heads averaged per number (default: the demo config's)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    data, banks = os.path.join(args.demo, "dataset"), args.banks or os.path.join(args.demo, "banks")
    split_training_videos(os.path.join(data, "charades", "Charades_v1_train.csv"), args.out,
                          args.held_out, args.seed)
    with open(os.path.join(args.out, "train.csv"), newline="") as f:
        train_videos = len(list(csv.DictReader(f)))

    def config(head_iters=None):
        cfg = _action_config(data, banks, DemoConfig(backbone_iters=args.backbone_iters,
                                                     head_iters=head_iters,
                                                     head_seeds=args.head_seeds))
        cfg.data.train_csv = os.path.join(args.out, "train.csv")
        cfg.data.test_csv = os.path.join(args.out, "val.csv")
        cfg.head_cache_dir = os.path.join(args.out, "clip_features")  # one backbone: shared
        for solver in (cfg.solver, cfg.head_solver):   # a tiny world has fewer videos
            solver.batch_size = min(solver.batch_size, train_videos)
        return cfg

    quiet = lambda _: None  # noqa: E731
    results = {"demo": args.demo, "banks": banks, "held_out": args.held_out}
    backbone = os.path.join(args.out, "backbone")
    done = os.path.join(backbone, "metrics.json")
    if os.path.isfile(done) and os.path.isfile(os.path.join(backbone, "model.pt")):
        with open(done) as f:          # a finished backbone of an earlier run: reused
            results["backbone-only"] = json.load(f)["mAP"]
    else:
        cfg = config()
        cfg.model.fbo = "none"
        results["backbone-only"] = run_action_training(cfg, backbone, _info(), progress=False,
                                                       log=quiet)["mAP"]
    print(f"backbone-only {results['backbone-only']:.3f}", flush=True)
    runs = [(fbo, iters, lr, oracle) for fbo in args.fbo for iters in args.head_iters
            for lr in args.lrs for oracle in (False, True)]
    for fbo, iters, lr, oracle in runs:
        cfg = config(iters)
        cfg.model.fbo, cfg.model.init = fbo, os.path.join(backbone, "model.pt")
        cfg.head_solver.lr = lr
        name = f"lr {lr:g} {'oracle' if oracle else 'predicted'}"
        if iters != args.head_iters[0]:
            name += f", {cfg.head_solver.max_iters} iterations"
        if fbo != args.fbo[0]:
            name += f", fbo {fbo}"
        results[name] = head_mean(run_action_training(
            cfg, os.path.join(args.out, name.replace(" ", "_").replace(",", "")), _info(),
            oracle=oracle, progress=False, log=quiet))
        print(f"{name} {results[name]:.3f}", flush=True)
    write_json(os.path.join(args.out, "results.json"), results)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
