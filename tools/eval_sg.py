#!/usr/bin/env python
r"""Scene-graph recall@K of saved scene graphs against Action Genome annotations.

    python tools/eval_sg.py --annotations ActionGenome/annotations --predictions graphs/ \
        --mode predcls --constraint with [--ks 10 20 50 100] [--out metrics.json]

Predictions: one file per video as `sgfb.structures.save_graphs` writes them (see
docs/data.md, "SceneGraph"). Prints recall averaged per video (the Action Genome paper's
protocol) and pooled over frames; `--out` also keeps the per-video recalls. The default
`filtered` preset evaluates the frames AG codebases evaluate (a visible object and a person
box); with `keep_all`, triplets of frames without a person box cannot be hit when boxes are
compared.
"""
from __future__ import annotations

import argparse

from sgfb.atomic_io import write_json
from sgfb.engine.cli import run_cli
from sgfb.evaluation.sg_recall import CONSTRAINTS, DEFAULT_KS
from sgfb.pipelines.evaluate_graphs import MODES, evaluate_graph_dir


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--annotations", required=True, help="AG annotation dir or object pickle")
    p.add_argument("--predictions", required=True, help="directory of per-video graph files")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--constraint", choices=CONSTRAINTS, required=True)
    p.add_argument("--ks", type=int, nargs="+", default=list(DEFAULT_KS))
    p.add_argument("--threshold", type=float, default=0.9, help="score threshold for 'semi'")
    p.add_argument("--preset", choices=("filtered", "keep_all"), default="filtered")
    p.add_argument("--split", choices=("train", "test"), default=None)
    p.add_argument("--out", help="JSON file for all metrics and per-video recalls")
    args = p.parse_args(argv)
    result = evaluate_graph_dir(args.annotations, args.predictions, args.mode, args.constraint,
                                args.ks, args.threshold, args.preset, args.split)
    print(f"{args.mode} / {args.constraint} constraint, {result.frames_evaluated} frames "
          f"({result.frames_without_ground_truth} without ground-truth relationships skipped)")
    print("averaging      " + "  ".join(f"R@{k:<5}" for k in result.ks))
    for name, values in (("per video", result.video), ("per frame", result.frame)):
        print(f"{name:<14} " + "  ".join(f"{100 * values[k]:6.2f}" for k in result.ks))
    if args.out:
        write_json(args.out, {"mode": args.mode, "constraint": args.constraint, **result.as_dict()})
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
