"""sgfb.evaluation.detection_ap on hand-computed cases."""
from __future__ import annotations

import numpy as np
import pytest

from sgfb.evaluation.detection_ap import detection_ap, interpolated_ap
from sgfb.structures.scene_graph import SceneGraph


def graph(boxes, labels, scores) -> SceneGraph:
    return SceneGraph.from_predictions(np.array(boxes, np.float32), labels, scores, [],
                                       np.zeros((0, 26), np.float32), person=0)


def test_interpolated_ap_by_hand():
    # TP, FP, TP of 2 positives: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1
    assert interpolated_ap([1, 0, 1], 2) == pytest.approx(0.5 * 1 + 0.5 * (2 / 3))
    assert interpolated_ap([0, 1], 1) == pytest.approx(0.5)
    assert interpolated_ap([], 3) == 0.0
    with pytest.raises(ValueError):
        interpolated_ap([1], 0)


def test_detection_ap_duplicates_misses_and_frames():
    truth = {"a": graph([[40, 0, 50, 10], [0, 0, 10, 10], [20, 20, 30, 30]], [0, 1, 2], [1, 1, 1]),
             "b": graph([[40, 0, 50, 10], [0, 0, 10, 10]], [0, 1], [1, 1])}
    pred = {"a": graph([[40, 0, 50, 10], [0, 0, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]],
                       [0, 1, 1, 2], [1.0, 0.9, 0.8, 0.7]),
            "b": graph([[41, 0, 50, 10], [0, 0, 10, 10]], [0, 1], [1.0, 0.6])}
    mean, per_class = detection_ap(truth, pred)
    # person: 2 of 2 found first (IoU 0.9 in b); class 1: TP .9, duplicate FP .8, TP .6;
    # class 2: one far-away detection
    assert per_class == pytest.approx({0: 1.0, 1: 0.5 + 0.5 * 2 / 3, 2: 0.0})
    assert mean == pytest.approx((1.0 + 0.5 + 1 / 3 + 0.0) / 3)
    # a box below IoU 0.5 does not count; a missing frame has no detections
    shifted = {"a": graph([[40, 0, 50, 10], [6, 0, 16, 10]], [0, 1], [1.0, 0.9])}
    _, per_class = detection_ap(truth, shifted)
    assert per_class[0] == pytest.approx(0.5) and per_class[1] == 0.0
