"""Object-detection mean average precision at IoU 0.5 (PASCAL VOC 2010+ protocol: all-point
interpolated precision-recall area), over the nodes of predicted scene graphs.

Per class, detections of all frames are ranked by score; one is a true positive when its
best-overlapping ground-truth box of the same class in its frame has IoU >= the threshold and
was not matched by a higher-scored detection (ties of score keep input order). The mean is
over the classes that have ground truth; classes with none are left out.
"""
from __future__ import annotations

from typing import Dict, Mapping, Tuple

import numpy as np

from sgfb.evaluation.sg_recall import box_iou
from sgfb.structures.scene_graph import SceneGraph


def interpolated_ap(tp: np.ndarray, num_gt: int) -> float:
    """Area under the precision envelope of a ranked ``tp`` (1/0) list, ``num_gt`` positives."""
    if num_gt == 0:
        raise ValueError("average precision needs at least one ground-truth box")
    tp = np.asarray(tp, np.float64)
    hits = np.cumsum(tp)
    recall = np.concatenate([[0.0], hits / num_gt, [1.0]])
    precision = np.concatenate([[0.0], hits / np.arange(1, len(tp) + 1), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]   # the envelope
    steps = np.flatnonzero(recall[1:] != recall[:-1])
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def detection_ap(ground_truth: Mapping[str, SceneGraph], predictions: Mapping[str, SceneGraph],
                 iou_threshold: float = 0.5) -> Tuple[float, Dict[int, float]]:
    """``(mAP, {class: AP})`` of the boxed nodes of ``predictions`` against the boxed nodes of
    ``ground_truth`` (same frame keys; a frame missing from ``predictions`` has no
    detections). Nodes without a finite box are ignored on both sides."""
    gt_boxes: Dict[Tuple[str, int], np.ndarray] = {}
    detections: Dict[int, list] = {}
    for key, truth in ground_truth.items():
        if truth.boxes is None:
            continue
        finite = np.all(np.isfinite(truth.boxes), axis=1)
        for label in np.unique(truth.labels[finite]):
            gt_boxes[(key, int(label))] = truth.boxes[finite & (truth.labels == label)]
        graph = predictions.get(key)
        if graph is None or graph.boxes is None:
            continue
        for i in np.flatnonzero(np.all(np.isfinite(graph.boxes), axis=1)):
            detections.setdefault(int(graph.labels[i]), []).append(
                (float(graph.scores[i]), key, graph.boxes[i]))
    num_gt: Dict[int, int] = {}
    for (_, label), boxes in gt_boxes.items():
        num_gt[label] = num_gt.get(label, 0) + len(boxes)
    per_class: Dict[int, float] = {}
    for label, count in sorted(num_gt.items()):
        ranked = sorted(detections.get(label, []), key=lambda d: -d[0])
        used = {k: np.zeros(len(b), bool) for (k, lab), b in gt_boxes.items() if lab == label}
        tp = np.zeros(len(ranked))
        for n, (_, key, box) in enumerate(ranked):
            if key not in used:
                continue
            iou = box_iou(box[None], gt_boxes[(key, label)])[0]
            best = int(np.argmax(iou))
            if iou[best] >= iou_threshold and not used[key][best]:
                used[key][best] = True
                tp[n] = 1
        per_class[label] = interpolated_ap(tp, count)
    mean = float(np.mean(list(per_class.values()))) if per_class else float("nan")
    return mean, per_class
