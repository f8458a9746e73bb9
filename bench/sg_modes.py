#!/usr/bin/env python
"""PredCls, SGCls and SGDet of one scene-graph model on the same frames: one backbone pass per
batch for all three modes (`predict_frames_modes`, what `make demo` does) against the
reference approach, one `predict_frames` call per mode (three backbone passes). Checks that
both give identical graphs, then prints the seconds of each and their ratio.

    python tools/demo.py --out demo_seed1 --seed 1
    python bench/sg_modes.py --demo demo_seed1 --rounds 3

Rounds alternate the two approaches so that a loaded machine's drift hits both alike.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", required=True, help="a tools/demo.py output folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import numpy as np
    import torch
    from sgfb.data.action_genome import ActionGenome
    from sgfb.data.ag_splits import split_keys
    from sgfb.evaluation.sg_prediction import predict_frames, predict_frames_modes
    from sgfb.models.scene_graph import load_scene_graph_model
    from sgfb.relations.frames import SceneGraphFrames
    from sgfb.relations.names import MODES

    torch.set_num_threads(args.threads)
    cpu = torch.device("cpu")
    predictor = load_scene_graph_model(os.path.join(args.demo, "scene_graphs", "model.pt"))
    ag = ActionGenome.load(os.path.join(args.demo, "dataset", "annotations"), preset="filtered")
    keys = split_keys(ag, "test")
    frames = SceneGraphFrames(ag, os.path.join(args.demo, "frames"), keys)

    def separate():
        return {mode: predict_frames(predictor, frames, mode, args.batch_size, cpu)
                for mode in MODES}

    def together():
        return predict_frames_modes(predictor, frames, MODES, args.batch_size, cpu)

    seconds = {"one call per mode": [], "one pass for all modes": []}
    outputs = {}
    for _ in range(args.rounds):
        for name, run in (("one call per mode", separate), ("one pass for all modes", together)):
            start = time.perf_counter()
            outputs[name] = run()
            seconds[name].append(time.perf_counter() - start)
    a, b = outputs["one call per mode"], outputs["one pass for all modes"]
    for mode in MODES:
        for key in keys:
            for field in ("boxes", "labels", "scores", "pair_objects", "relations"):
                if not np.array_equal(getattr(a[mode][key], field), getattr(b[mode][key], field)):
                    raise SystemExit(f"{mode} {key}: {field} differs")
    print(f"{len(keys)} test frames, batch {args.batch_size}, {args.threads} thread(s); "
          f"identical graphs in every mode")
    for name, values in seconds.items():
        print(f"{name:<24} " + " ".join(f"{v:6.1f}" for v in values) + " s")
    ratio = np.median(seconds["one call per mode"]) / np.median(seconds["one pass for all modes"])
    print(f"median ratio (per mode / all modes): {ratio:.2f}x")


if __name__ == "__main__":
    main()
