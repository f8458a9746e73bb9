"""Detection selection on tiny literal inputs, and the label conventions."""
from __future__ import annotations

import torch

from sgfb.detection.labels import object_probabilities, to_ag_labels, to_model_labels
from sgfb.detection.postprocess import select_detections

# 2 proposals x 3 outputs (background, class 1, class 2)
PROBS = torch.tensor([[0.10, 0.60, 0.30],
                      [0.15, 0.50, 0.35]])
BOXES = torch.tensor([[[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]],
                      [[1, 1, 11, 11], [1, 1, 11, 11], [50, 50, 60, 60]]], dtype=torch.float32)


def test_threshold_per_class_nms_and_order():
    sel = select_detections(PROBS, BOXES, (100, 100), score_thresh=0.25, nms_thresh=0.5,
                            detections_per_img=10)
    # class 1: proposal 1's box overlaps proposal 0's (IoU 0.68) with a lower score -> gone;
    # class 2: the two boxes are apart -> both kept. Best score first.
    assert sel.labels.tolist() == [1, 2, 2]
    assert sel.proposals.tolist() == [0, 1, 0]
    assert torch.allclose(sel.scores, torch.tensor([0.60, 0.35, 0.30]))
    assert sel.boxes.tolist() == [[0, 0, 10, 10], [50, 50, 60, 60], [0, 0, 10, 10]]


def test_threshold_top_k_and_clipping():
    sel = select_detections(PROBS, BOXES, (100, 100), 0.32, 0.5, detections_per_img=10)
    assert sel.proposals.tolist() == [0, 1] and sel.labels.tolist() == [1, 2]
    sel = select_detections(PROBS, BOXES, (100, 100), 0.25, 0.5, detections_per_img=2)
    assert sel.proposals.tolist() == [0, 1]
    # in a 40x40 frame the far box is clipped to nothing and dropped
    sel = select_detections(PROBS, BOXES, (40, 40), 0.25, 0.5, detections_per_img=10)
    assert sel.proposals.tolist() == [0, 0] and sel.labels.tolist() == [1, 2]


def test_nothing_selected():
    sel = select_detections(PROBS, BOXES, (100, 100), 0.9, 0.5, detections_per_img=10)
    assert sel.boxes.shape == (0, 4) and sel.scores.shape == (0,)
    assert sel.labels.shape == (0,) and sel.proposals.shape == (0,)
    none = select_detections(torch.zeros((0, 3)), torch.zeros((0, 3, 4)), (10, 10), 0.1, 0.5, 5)
    assert none.boxes.shape == (0, 4)


def test_labels_and_object_probabilities():
    assert to_model_labels(torch.tensor([0, 35])).tolist() == [1, 36]
    assert to_ag_labels(torch.tensor([1, 36])).tolist() == [0, 35]
    logits = torch.tensor([[5.0, 1.0, 1.0, 2.0]])
    probs = object_probabilities(logits)
    full = torch.softmax(logits, -1)
    assert torch.allclose(probs, full[:, 1:] / full[:, 1:].sum(1, keepdim=True))
    assert torch.allclose(probs.sum(1), torch.ones(1))
