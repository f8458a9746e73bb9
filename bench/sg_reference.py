"""A faithful per-frame scene-graph Recall@K, written with the loop structure of the field's
evaluators (STTran's ``BasicSceneGraphEvaluator.evaluate_from_dict``): for each frame, build
its candidate triplets, score them, sort them, match each ground-truth triplet against them,
take the union of the matches up to K. It is the yardstick of ``bench/sg_recall.py`` and
must give the recalls of :func:`sgfb.evaluation.sg_recall.evaluate_tables` under both
protocols (``sttran``: STTran's semantics and tie order; ``ag``: the AG paper's Table 5 as
``sgfb.evaluation.sg_protocols`` defines it). Not used by the library.
"""
from __future__ import annotations

from functools import reduce
from typing import Dict, List, Optional, Sequence

import numpy as np

from sgfb.structures.vocab import GROUP_SLICES
from sgfb.structures import SceneGraph

KS = (10, 20, 50, 100)
#: The constraints of each protocol, as ``sgfb.evaluation.sg_protocols`` names them.
PROTOCOL_CONSTRAINTS = {"sttran": ("with_per_group", "semi", "no"),
                        "ag": ("with", "with_per_group", "semi", "no")}
_SPATIAL = GROUP_SLICES["spatial"]


def _overlaps(gt_box, boxes, plus_one: bool):
    """IoU of one box with each of ``boxes`` (+1-pixel areas as STTran's ``bbox_overlaps``;
    without it, an identical box overlaps 1, zero-area ones too)."""
    one = 1.0 if plus_one else 0.0
    iw = np.minimum(gt_box[2], boxes[:, 2]) - np.maximum(gt_box[0], boxes[:, 0]) + one
    ih = np.minimum(gt_box[3], boxes[:, 3]) - np.maximum(gt_box[1], boxes[:, 1]) + one
    ua = ((gt_box[2] - gt_box[0] + one) * (gt_box[3] - gt_box[1] + one)
          + (boxes[:, 2] - boxes[:, 0] + one) * (boxes[:, 3] - boxes[:, 1] + one) - iw * ih)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where((iw > 0) & (ih > 0), iw * ih / ua, 0.0)
    if not plus_one:
        iou = np.where((boxes == gt_box).all(1), 1.0, iou)
    return iou


def _truth(gt: SceneGraph):
    """Ground-truth triplets [subject, object, predicate] and their classes and boxes."""
    rel = []
    for p in range(gt.num_pairs):
        for r in np.flatnonzero(gt.relations[p] >= 1):
            o = gt.pair_objects[p]
            rel.append([o, gt.person, r] if _SPATIAL.start <= r < _SPATIAL.stop
                       else [gt.person, o, r])
    rel = np.array(rel, np.int64).reshape(-1, 3)
    trip = np.column_stack([gt.labels[rel[:, 0]], rel[:, 2], gt.labels[rel[:, 1]]])
    boxes = np.column_stack([gt.boxes[rel[:, 0]], gt.boxes[rel[:, 1]]]).astype(float)
    return trip, boxes


def _recall(gt_trip, gt_boxes, trip, tboxes, ks, plus_one: bool) -> List[float]:
    """STTran's ``_compute_pred_matches`` then ``union1d`` up to K, on ranked predictions."""
    same = (gt_trip[..., None] == trip.T[None]).all(1)
    pred_to_gt: List[List[int]] = [[] for _ in range(len(trip))]
    for g in np.where(same.any(1))[0]:
        cand = np.where(same[g])[0]
        ok = ((_overlaps(gt_boxes[g, :4], tboxes[cand, :4], plus_one) >= 0.5)
              & (_overlaps(gt_boxes[g, 4:], tboxes[cand, 4:], plus_one) >= 0.5))
        for i in cand[ok]:
            pred_to_gt[i].append(int(g))
    return [len(reduce(np.union1d, pred_to_gt[:k], np.zeros(0))) / len(gt_trip) for k in ks]


def sttran_frame(gt: SceneGraph, pred: Optional[SceneGraph], constraint: str, ks=KS,
                 threshold: float = 0.9) -> Optional[List[float]]:
    """One frame's recall at each K, as STTran's ``evaluate_from_dict`` computes it (None:
    the frame has no ground-truth triplet and is not scored)."""
    gt_trip, gt_boxes = _truth(gt)
    if not len(gt_trip):
        return None
    if pred is None or pred.person is None or pred.num_pairs == 0:
        return [0.0] * len(ks)
    pairs = np.stack([np.full(pred.num_pairs, pred.person), pred.pair_objects], 1)
    rel_inds = np.concatenate([pairs, pairs[:, ::-1], pairs])
    blocks = []
    for sl in GROUP_SLICES.values():
        b = np.zeros((pred.num_pairs, 26))
        b[:, sl] = pred.relations[:, sl]
        blocks.append(b)
    rel_scores = np.concatenate(blocks)
    obj_scores = pred.scores
    if constraint == "semi":
        rels, pscores = [], []
        for i, pair in enumerate(rel_inds):
            row = rel_scores[i]
            if row[0] + row[1] > 0:
                rels.append([*pair, row.argmax()])
                pscores.append(row.max())
            elif row[3] + row[4] > 0 or row[9] + row[10] > 0:
                for k in np.where(row > threshold)[0]:
                    rels.append([*pair, k])
                    pscores.append(row[k])
        rels, pscores = np.array(rels, np.int64).reshape(-1, 3), np.array(pscores)
    elif constraint == "no":
        overall = obj_scores[rel_inds].prod(1)[:, None] * rel_scores
        top = np.column_stack(np.unravel_index(np.argsort(-overall.ravel()), overall.shape))[:100]
        rels = np.column_stack([rel_inds[top[:, 0]], top[:, 1]])
        pscores = rel_scores[top[:, 0], top[:, 1]]
    elif constraint == "with_per_group":
        rels = np.column_stack([rel_inds, rel_scores.argmax(1)])
        pscores = rel_scores.max(1)
    else:
        raise ValueError(f"STTran has no {constraint!r} constraint")
    if rels.size == 0:
        return [0.0] * len(ks)
    trip = np.column_stack([pred.labels[rels[:, 0]], rels[:, 2], pred.labels[rels[:, 1]]])
    tboxes = np.column_stack([pred.boxes[rels[:, 0]], pred.boxes[rels[:, 1]]]).astype(float)
    tscores = np.column_stack([obj_scores[rels[:, 0]], obj_scores[rels[:, 1]], pscores])
    order = tscores.prod(1).argsort()[::-1]
    return _recall(gt_trip, gt_boxes, trip[order], tboxes[order], ks, plus_one=True)


def ag_frame(gt: SceneGraph, pred: Optional[SceneGraph], constraint: str, ks=KS,
             threshold: float = 0.9) -> Optional[List[float]]:
    """One frame's recall at each K under the ``ag`` protocol: per pair, the predicates the
    constraint keeps, scored in float32, zero scores dropped, ranked by a stable sort."""
    gt_trip, gt_boxes = _truth(gt)
    if not len(gt_trip):
        return None
    if pred is None or pred.person is None or pred.num_pairs == 0:
        return [0.0] * len(ks)
    s, person = pred.scores, pred.person
    rels, scores = [], []
    for p in range(pred.num_pairs):
        row, obj = pred.relations[p], pred.pair_objects[p]
        if constraint == "with":
            kept = [row.argmax()]
        elif constraint == "with_per_group":
            kept = [row[sl].argmax() + sl.start for sl in GROUP_SLICES.values()]
        elif constraint == "semi":
            kept = np.flatnonzero(row >= np.float32(threshold))
        else:
            kept = range(len(row))
        for k in kept:
            sub, ob = (obj, person) if _SPATIAL.start <= k < _SPATIAL.stop else (person, obj)
            score = s[sub] * s[ob] * row[k]
            if score != 0:
                rels.append([sub, ob, k])
                scores.append(score)
    if not rels:
        return [0.0] * len(ks)
    rels = np.array(rels, np.int64)
    order = np.argsort(-np.array(scores, np.float32), kind="stable")
    trip = np.column_stack([pred.labels[rels[:, 0]], rels[:, 2], pred.labels[rels[:, 1]]])
    tboxes = np.column_stack([pred.boxes[rels[:, 0]], pred.boxes[rels[:, 1]]]).astype(float)
    return _recall(gt_trip, gt_boxes, trip[order], tboxes[order], ks, plus_one=False)


def reference(gts: Dict[str, SceneGraph], preds: Dict[str, SceneGraph], protocol: str,
              constraint: str, ks: Sequence[int] = KS) -> Dict[str, Dict[int, float]]:
    """Pooled ("frame") recall and, for ``ag``, the per-video mean ("video"), frame by frame."""
    frame_fn = sttran_frame if protocol == "sttran" else ag_frame
    per_video: Dict[str, List[List[float]]] = {}
    for key, gt in gts.items():
        recall = frame_fn(gt, preds.get(key), constraint, ks)
        if recall is not None:
            per_video.setdefault(key.split("/")[0], []).append(recall)
    frames = [r for rows in per_video.values() for r in rows]
    out = {"frame": dict(zip(ks, np.mean(frames, axis=0).tolist()))}
    if protocol == "ag":
        means = [np.mean(rows, axis=0) for rows in per_video.values()]
        out["video"] = dict(zip(ks, np.mean(means, axis=0).tolist()))
    return out
