#!/usr/bin/env python
"""Speed of the scene-graph recall evaluator on an AG test-set-sized input: 1,700 videos x
10 frames, each frame a ground-truth graph of 3 objects and a prediction of 8 boxes whose
person-object pairs give about 50 triplets under the `with_per_group` constraint (more under
`no`).

    python bench/sg_recall.py [--videos 1700 --frames 10]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sgfb.evaluation.sg_recall import evaluate_recall  # noqa: E402
from sgfb.structures import SceneGraph  # noqa: E402


def make_frames(videos: int, frames: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    gts, preds = {}, {}
    for v in range(videos):
        for f in range(frames):
            key = f"V{v:05d}.mp4/{f + 1:06d}.png"
            boxes = np.sort(rng.uniform(0, 400, (4, 4)).reshape(4, 2, 2), axis=1).reshape(4, 4)
            labels = rng.integers(1, 36, 3)
            rels = [list(rng.choice(26, 3, replace=False)) for _ in range(3)]
            gts[key] = SceneGraph.from_ground_truth(labels, rels, boxes[1:], boxes[0], frame_key=key)
            n = 8
            pboxes = np.concatenate([boxes, boxes[rng.integers(0, 4, n - 4)] + rng.normal(0, 5, (n - 4, 4))])
            plabels = np.concatenate([[0], labels, rng.integers(1, 36, n - 4)])
            preds[key] = SceneGraph.from_predictions(
                pboxes, plabels, rng.uniform(0.3, 1, n), np.arange(1, n),
                rng.uniform(0, 1, (n - 1, 26)), person=0, frame_key=key)
    return gts, preds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=1700)
    p.add_argument("--frames", type=int, default=10)
    args = p.parse_args(argv)
    gts, preds = make_frames(args.videos, args.frames)
    for constraint in ("with", "with_per_group", "semi", "no"):
        start = time.perf_counter()
        result = evaluate_recall(gts, preds, constraint)
        print(f"{constraint:>15}: {len(gts)} frames in {time.perf_counter() - start:5.2f} s "
              f"(R@20 {result.video[20]:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
