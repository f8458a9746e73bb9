"""The per-frame reference of bench/sg_recall.py (loop structure of STTran's evaluator) gives
the array evaluator's recalls under every protocol and constraint, on frames full of ties,
near-ties, zero-area boxes, missing and person-less predictions, frames without ground
truth, K beyond the top-100 cap: the bench's ratios compare equal work."""
import os
import sys

import numpy as np
import pytest

from sgfb.evaluation.sg_recall import evaluate_recall
from sgfb.structures import SceneGraph

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from sg_reference import PROTOCOL_CONSTRAINTS, reference  # noqa: E402

KS = (1, 3, 10, 100, 150)
A, C = 1 - 2 ** -13, 1 - 2 ** -12     # float32: A * A == C, float64: A * A > C
LEVELS = np.array([0, .1, .25, .5, .9, .9000001, A, C, 1], np.float32)


def frames(n=120, seed=3):
    rng = np.random.default_rng(seed)
    gts, preds = {}, {}
    for i in range(n):
        key = f"V{i % 7}.mp4/{i + 1:06d}.png"
        objects = int(rng.integers(0, 4))
        xy = rng.choice([0., 10., 40.], (objects + 1, 2))
        wh = rng.choice([0., 15., 30.], (objects + 1, 2))        # zero-area boxes too
        boxes = np.concatenate([xy, xy + wh], 1)
        labels = rng.integers(1, 6, objects)
        rels = [sorted(set(rng.integers(0, 26, int(rng.integers(0, 4))).tolist()))
                for _ in range(objects)]
        gts[key] = SceneGraph.from_ground_truth(labels, rels, boxes[1:], boxes[0], frame_key=key)
        kind = rng.integers(0, 10)
        if kind == 0:
            continue                                              # no prediction
        if kind == 1:
            preds[key] = SceneGraph.from_predictions(boxes[:1], [0], [1.0], [],
                                                     np.zeros((0, 26)), None, frame_key=key)
            continue                                              # no person
        m = int(rng.integers(1, 9))
        pick = rng.integers(0, objects + 1, m)
        pboxes = np.concatenate([boxes[:1], boxes[pick] + rng.choice([0., 0., 3., 20.], (m, 4))])
        plabels = np.concatenate([[0], np.where(pick > 0, np.r_[0, labels][pick],
                                                rng.integers(1, 6, m))])
        plabels[1:][plabels[1:] == 0] = 1
        rel = rng.choice(LEVELS, (m, 26))
        rel[rng.random(m) < .2, :3] = 0                           # all-zero attention groups
        preds[key] = SceneGraph.from_predictions(
            pboxes, plabels, rng.choice(LEVELS[2:], m + 1), np.arange(1, m + 1), rel, person=0,
            frame_key=key)
    return gts, preds


@pytest.mark.parametrize("protocol, constraint", [
    (p, c) for p, cs in PROTOCOL_CONSTRAINTS.items() for c in cs])
def test_bench_reference_equals_the_evaluator(protocol, constraint):
    gts, preds = frames()
    ref = reference(gts, preds, protocol, constraint, KS)
    ours = evaluate_recall(gts, preds, constraint, KS, protocol=protocol)
    assert ours.frames_evaluated > 50 and ours.frames_without_ground_truth > 5
    assert ours.frame == pytest.approx(ref["frame"], abs=1e-12)
    if protocol == "ag":
        assert ours.video == pytest.approx(ref["video"], abs=1e-12)
    assert 0 < ours.frame[150] < 1
