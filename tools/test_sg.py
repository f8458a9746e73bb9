#!/usr/bin/env python
r"""Evaluate a stage-1 checkpoint: scene-graph recall@K in PredCls, SGCls or SGDet.

    python tools/test_sg.py --checkpoint runs/sg/model.pt --annotations AG/annotations \
        --frames AG/frames --mode sgdet --constraint with no --out runs/sg/sgdet.json \
        [--head frequency] [--save-graphs graphs/] [--split all]

--head frequency scores the frequency-prior baseline (object class alone) with the same
detector. --save-graphs writes every frame's predicted SceneGraph, one file per video (the
format tools/eval_sg.py and tools/extract_banks.py read; docs/data.md). Prints recall
averaged per video (the AG paper's protocol) and pooled over frames; --out also keeps the
per-video recalls.
"""
from __future__ import annotations

import argparse

from sgfb.atomic_io import write_json
from sgfb.engine.cli import run_cli
from sgfb.engine.distributed import resolve_device
from sgfb.evaluation.sg_recall import CONSTRAINTS, DEFAULT_KS
from sgfb.pipelines.sg_model import HEADS
from sgfb.pipelines.sg_testing import test_scene_graphs
from sgfb.relations.predictor import MODES


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="OUT/model.pt of tools/train_sg.py")
    p.add_argument("--annotations", required=True)
    p.add_argument("--frames", required=True, help="dumped frames (tools/dump_frames.py)")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--constraint", choices=CONSTRAINTS, nargs="+", default=["with", "no"])
    p.add_argument("--head", choices=HEADS, default="reldn")
    p.add_argument("--split", choices=("train", "test", "all"), default="test")
    p.add_argument("--preset", choices=("filtered", "keep_all"), default="filtered")
    p.add_argument("--max-frames", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--ks", type=int, nargs="+", default=list(DEFAULT_KS))
    p.add_argument("--device", default="auto")
    p.add_argument("--save-graphs", help="directory for the predicted graphs")
    p.add_argument("--out", help="JSON of all metrics and per-video recalls")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    result = test_scene_graphs(args.checkpoint, args.annotations, args.frames, args.mode,
                               args.constraint, args.head, args.split, args.preset,
                               args.max_frames, args.batch_size, str(resolve_device(args.device)),
                               args.ks, args.save_graphs, not args.no_progress)
    for constraint, r in result["constraints"].items():
        print(f"{args.mode} / {args.head} / {constraint} constraint: {r['frames_evaluated']} frames")
        for name in ("video", "frame"):
            values = r[f"recall_{name}_avg"]
            print(f"  per {name:<6} " + "  ".join(
                f"R@{k}={100 * values[f'R@{k}']:.2f}" for k in args.ks))
    if args.out:
        write_json(args.out, result)
    return 0


if __name__ == "__main__":
    run_cli(main, __file__)
