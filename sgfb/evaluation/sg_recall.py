"""Scene-graph recall@K on Action Genome (Action Genome paper §5.3).

A triplet is (subject class, predicate, object class) with the subject's and object's boxes.
Attention and contacting triplets run person -> object, spatial ones object -> person. A
predicted triplet scores ``s_subject * s_object * s_predicate``; it hits a ground-truth
triplet when both classes and the predicate are equal and both boxes overlap with IoU >= 0.5.
Recall@K of a frame is the share of its ground-truth triplets hit by its K best predictions
(ties broken by the order the predictions come in); frames without ground-truth triplets
are left out.

Constraints on the predicted triplets of each person-object pair:

- ``with``: the paper's graph constraint, one predicate per pair (the best of all 26);
- ``with_per_group``: the variant common in AG codebases (STTran and its descendants), the
  best predicate of each group (attention, spatial, contacting), so three per pair;
- ``semi``: every predicate scoring at least ``threshold``;
- ``no``: every predicate, ranked.

Averages: ``video`` is the Action Genome paper's protocol (per frame, then the mean within
each video, then the mean over videos); ``frame`` pools all frames (mean of per-frame
recalls), as other AG codebases report. Modes (PredCls, SGCls, SGDet) differ in where the
predicted graphs' boxes and labels come from, not in how they are scored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, NamedTuple, Sequence, Tuple

import numpy as np

from sgfb.data.vocab import GROUP_SLICES
from sgfb.structures.scene_graph import NUM_RELATIONSHIPS, SceneGraph

CONSTRAINTS = ("with", "with_per_group", "semi", "no")
DEFAULT_KS = (10, 20, 50, 100)
_SPATIAL = np.zeros(NUM_RELATIONSHIPS, bool)
_SPATIAL[GROUP_SLICES["spatial"]] = True


class Triplets(NamedTuple):
    """``N`` triplets: classes ``[N]``, predicate ``[N]``, score ``[N]``, boxes ``[N, 4]``."""

    subject: np.ndarray
    predicate: np.ndarray
    object: np.ndarray
    score: np.ndarray
    subject_box: np.ndarray
    object_box: np.ndarray


def _select(relations: np.ndarray, constraint: str, threshold: float) -> Tuple[np.ndarray, np.ndarray]:
    """(pair index, predicate) of the kept predicates, pair by pair in predicate order."""
    p = relations.shape[0]
    if constraint == "with":
        return np.arange(p), relations.argmax(1) if p else np.zeros(0, np.int64)
    if constraint == "with_per_group":
        picks = [relations[:, sl].argmax(1) + sl.start for sl in GROUP_SLICES.values()] if p else []
        pred = np.stack(picks, 1).reshape(-1) if p else np.zeros(0, np.int64)
        return np.repeat(np.arange(p), len(GROUP_SLICES)), pred
    if constraint == "semi":
        return np.nonzero(relations >= threshold)
    if constraint == "no":
        return np.nonzero(np.ones_like(relations, dtype=bool))
    raise ValueError(f"unknown constraint {constraint!r}; choose from {CONSTRAINTS}")


def triplets(graph: SceneGraph, constraint: str = "no", threshold: float = 0.9) -> Triplets:
    """The graph's triplets under ``constraint`` (ground truth: use ``semi`` with threshold 1,
    which keeps exactly the annotated relationships)."""
    if graph.person is None or graph.num_pairs == 0:
        empty = np.zeros(0, np.int64)
        return Triplets(empty, empty, empty, np.zeros(0), np.zeros((0, 4)), np.zeros((0, 4)))
    pair, pred = _select(graph.relations, constraint, threshold)
    obj_node = graph.pair_objects[pair]
    person = np.full_like(obj_node, graph.person)
    spatial = _SPATIAL[pred]
    subj = np.where(spatial, obj_node, person)
    obj = np.where(spatial, person, obj_node)
    boxes = graph.boxes if graph.boxes is not None else np.full((graph.num_nodes, 4), np.nan)
    score = graph.scores[subj] * graph.scores[obj] * graph.relations[pair, pred]
    return Triplets(graph.labels[subj], pred.astype(np.int64), graph.labels[obj],
                    score.astype(np.float64), boxes[subj], boxes[obj])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[A, B]`` IoU of xyxy boxes (NaN boxes overlap nothing)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / (area_a[:, None] + area_b[None, :] - inter)
    return np.nan_to_num(iou, nan=0.0)


def frame_hits(gt: Triplets, pred: Triplets, ks: Sequence[int], iou_threshold: float = 0.5,
               use_boxes: bool = True) -> np.ndarray:
    """``[len(ks)]`` number of ground-truth triplets hit by the best K predictions."""
    n_gt = gt.subject.size
    if n_gt == 0 or pred.subject.size == 0:
        return np.zeros(len(ks), np.int64)
    order = np.argsort(-pred.score, kind="stable")
    top = order[:max(ks)]
    match = ((gt.subject[:, None] == pred.subject[top][None]) &
             (gt.object[:, None] == pred.object[top][None]) &
             (gt.predicate[:, None] == pred.predicate[top][None]))
    if use_boxes:
        match &= box_iou(gt.subject_box, pred.subject_box[top]) >= iou_threshold
        match &= box_iou(gt.object_box, pred.object_box[top]) >= iou_threshold
    # rank of the first matching prediction for each ground-truth triplet
    first = np.where(match.any(1), match.argmax(1), np.iinfo(np.int64).max)
    return np.array([(first < k).sum() for k in ks], np.int64)


@dataclass
class RecallResult:
    ks: Tuple[int, ...]
    video: Dict[int, float]                         # AG paper: frames -> videos -> mean
    frame: Dict[int, float]                         # pooled over frames
    per_video: Dict[str, Dict[int, float]] = field(default_factory=dict)
    frames_evaluated: int = 0
    frames_without_ground_truth: int = 0

    def as_dict(self) -> Dict:
        return {"ks": list(self.ks),
                "recall_video_avg": {f"R@{k}": v for k, v in self.video.items()},
                "recall_frame_avg": {f"R@{k}": v for k, v in self.frame.items()},
                "frames_evaluated": self.frames_evaluated,
                "frames_without_ground_truth": self.frames_without_ground_truth,
                "per_video": {vid: {f"R@{k}": v for k, v in r.items()}
                              for vid, r in self.per_video.items()}}


def evaluate_recall(ground_truth: Mapping[str, SceneGraph], predictions: Mapping[str, SceneGraph],
                    constraint: str = "with", ks: Iterable[int] = DEFAULT_KS,
                    threshold: float = 0.9, iou_threshold: float = 0.5,
                    use_boxes: bool = True) -> RecallResult:
    """Recall@K over the frames of ``ground_truth`` (frame key -> graph); a frame missing
    from ``predictions`` counts as an empty prediction. ``use_boxes=False`` scores classes
    and predicates only (for graph-only data)."""
    ks = tuple(sorted(int(k) for k in ks))
    if constraint not in CONSTRAINTS:
        raise ValueError(f"unknown constraint {constraint!r}; choose from {CONSTRAINTS}")
    per_video: Dict[str, List[np.ndarray]] = {}
    skipped = 0
    for key, gt_graph in ground_truth.items():
        gt = triplets(gt_graph, "semi", threshold=1.0)
        if gt.subject.size == 0:
            skipped += 1
            continue
        pred_graph = predictions.get(key)
        pred = triplets(pred_graph, constraint, threshold) if pred_graph is not None \
            else triplets(SceneGraph.empty(), constraint)
        recall = frame_hits(gt, pred, ks, iou_threshold, use_boxes) / gt.subject.size
        per_video.setdefault(key.split("/")[0].rsplit(".", 1)[0], []).append(recall)
    frames = [r for rs in per_video.values() for r in rs]
    video_means = {v: np.mean(rs, axis=0) for v, rs in per_video.items()}

    def as_k(values) -> Dict[int, float]:
        return {k: float(v) for k, v in zip(ks, values)}

    nan = [float("nan")] * len(ks)
    return RecallResult(
        ks=ks,
        video=as_k(np.mean(list(video_means.values()), axis=0) if video_means else nan),
        frame=as_k(np.mean(frames, axis=0) if frames else nan),
        per_video={v: as_k(m) for v, m in video_means.items()},
        frames_evaluated=len(frames), frames_without_ground_truth=skipped,
    )
