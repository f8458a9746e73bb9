"""Scene-graph Recall@K and mean Recall@K on Action Genome (Action Genome paper §5.3).

A triplet is (subject class, predicate, object class) with the subject's and object's boxes.
Attention and contacting triplets run person -> object, spatial ones object -> person. A
predicted triplet scores ``s_subject * s_object * s_predicate``; it hits a ground-truth
triplet when both classes and the predicate are equal and both boxes overlap with
IoU >= 0.5. Recall@K of a frame is the share of its ground-truth triplets hit by its K best
predictions. Frames without ground-truth triplets are left out (``frames_without_ground_truth``);
a scored frame without a prediction, or whose prediction has no person, has recall 0.

What a constraint keeps of a pair's 26 predicate scores, how scores are compared, ranked,
tied and averaged is the protocol's (:mod:`sgfb.evaluation.sg_protocols`; the table is in
docs/scene_graphs.md): ``with`` keeps one predicate per pair, ``with_per_group`` the top-1
of each relationship group, ``semi`` those passing a threshold, ``no`` all of them.

Mean Recall@K (mR@K) averages recall over predicate classes: a frame's recall of class c is
the share of its class-c ground-truth triplets hit by its K best predictions; each class's
recall is averaged over the frames holding that class (``frame``) or over frames, then
videos (``video``); mR@K is the mean over classes with ground truth.

Modes (PredCls, SGCls, SGDet) differ in where the predicted graphs' boxes and labels come
from, not in how they are scored. The work is array operations over all frames at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from sgfb.evaluation.sg_candidates import SPATIAL, aligned_pairs, rank_predictions
from sgfb.evaluation.sg_protocols import (CONSTRAINTS, DEFAULT_PROTOCOL, Protocol,
                                          get_protocol)
from sgfb.structures.graph_table import GraphTable
from sgfb.structures.scene_graph import NUM_RELATIONSHIPS, SceneGraph

__all__ = ["CONSTRAINTS", "DEFAULT_KS", "RecallResult", "box_iou", "pair_iou",
           "evaluate_recall", "evaluate_tables"]

DEFAULT_KS = (10, 20, 50, 100)


def pair_iou(a: np.ndarray, b: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """``[M]`` IoU of xyxy boxes ``a[i]`` and ``b[i]`` (float64). NaN boxes overlap nothing;
    identical boxes, zero-area ones included, have IoU 1 in both conventions.

    ``plus_one``: widths and heights count pixels (``x2 - x1 + 1``), as STTran's
    ``bbox_overlaps`` computes them, in its order of operations (``a`` is the ground truth).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    one = 1.0 if plus_one else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        iw = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]) + one
        ih = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]) + one
        area_b = (b[:, 2] - b[:, 0] + one) * (b[:, 3] - b[:, 1] + one)
        area_a = (a[:, 2] - a[:, 0] + one) * (a[:, 3] - a[:, 1] + one)
        inter = iw * ih
        iou = inter / (area_a + area_b - inter)
    iou = np.where((iw > 0) & (ih > 0) & np.isfinite(iou), iou, 0.0)
    if not plus_one:
        iou = np.where(np.all(a == b, axis=1), 1.0, iou)
    return iou


def box_iou(a: np.ndarray, b: np.ndarray, plus_one: bool = False) -> np.ndarray:
    """``[A, B]`` IoU of xyxy boxes (see :func:`pair_iou`)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    ia, ib = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    return pair_iou(a[ia.ravel()], b[ib.ravel()], plus_one).reshape(len(a), len(b))


def _truth_triplets(truth: GraphTable):
    """Ground-truth triplets (relations >= 1): frame, subject node, object node, predicate."""
    frame, person, obj, pair = aligned_pairs(truth, np.arange(len(truth)))
    pi, k = np.nonzero(truth.relations[pair] >= 1.0)
    spatial = SPATIAL[k]
    sub = np.where(spatial, obj[pi], person[pi])
    ob = np.where(spatial, person[pi], obj[pi])
    return frame[pi], sub, ob, k.astype(np.int64)


def _first_hit_rank(truth: GraphTable, gt, pred: GraphTable, ranked, use_boxes: bool,
                    iou_threshold: float, plus_one: bool) -> np.ndarray:
    """``[G]`` best rank of a prediction hitting each ground-truth triplet (huge: none)."""
    g_frame, g_sub, g_obj, g_pred = gt
    big = np.iinfo(np.int64).max
    first = np.full(g_frame.shape[0], big, np.int64)
    if not g_frame.size or not ranked.frame.size:
        return first
    n_cls = int(max(truth.labels.max(initial=0), pred.labels.max(initial=0))) + 1

    def key(frame, sub_cls, predicate, obj_cls):
        return ((frame * n_cls + sub_cls) * NUM_RELATIONSHIPS + predicate) * n_cls + obj_cls

    g_key = key(g_frame, truth.labels[g_sub], g_pred, truth.labels[g_obj])
    p_key = key(ranked.frame, pred.labels[ranked.subject], ranked.predicate,
                pred.labels[ranked.object])
    g_order = np.argsort(g_key, kind="stable")
    sorted_keys = g_key[g_order]
    lo = np.searchsorted(sorted_keys, p_key, "left")
    count = np.searchsorted(sorted_keys, p_key, "right") - lo
    pi = np.repeat(np.arange(p_key.shape[0]), count)
    gj = g_order[np.repeat(lo, count) + np.arange(pi.shape[0])
                 - np.repeat(np.cumsum(count) - count, count)]
    if use_boxes:
        ok = ((pair_iou(truth.boxes[g_sub[gj]], pred.boxes[ranked.subject[pi]], plus_one)
               >= iou_threshold)
              & (pair_iou(truth.boxes[g_obj[gj]], pred.boxes[ranked.object[pi]], plus_one)
                 >= iou_threshold))
        pi, gj = pi[ok], gj[ok]
    np.minimum.at(first, gj, ranked.rank[pi])
    return first


@dataclass
class RecallResult:
    ks: Tuple[int, ...]
    video: Dict[int, float]                         # frames -> videos -> mean
    frame: Dict[int, float]                         # pooled over frames ("image")
    mean_video: Dict[int, float] = field(default_factory=dict)    # mR@K, per video
    mean_frame: Dict[int, float] = field(default_factory=dict)    # mR@K, pooled
    per_video: Dict[str, Dict[int, float]] = field(default_factory=dict)
    frames_evaluated: int = 0
    frames_without_ground_truth: int = 0
    protocol: str = DEFAULT_PROTOCOL
    averaging: Tuple[str, ...] = ("video", "frame")
    timing: Dict[str, float] = field(default_factory=dict)   # load_s, evaluate_s (tools)

    def as_dict(self) -> Dict:
        def r(values: Dict[int, float], prefix: str = "R") -> Dict[str, float]:
            return {f"{prefix}@{k}": v for k, v in values.items()}

        out: Dict = {"protocol": self.protocol, "ks": list(self.ks)}
        if "video" in self.averaging:
            out["recall_video_avg"] = r(self.video)
        out["recall_frame_avg"] = r(self.frame)
        if "video" in self.averaging:
            out["mean_recall_video_avg"] = r(self.mean_video, "mR")
        out["mean_recall_frame_avg"] = r(self.mean_frame, "mR")
        out.update(frames_evaluated=self.frames_evaluated,
                   frames_without_ground_truth=self.frames_without_ground_truth,
                   per_video={vid: r(v) for vid, v in self.per_video.items()})
        if self.timing:
            out["timing"] = dict(self.timing)
        return out


def _video_ids(keys: Sequence[str]) -> Tuple[List[str], np.ndarray]:
    names = [k.split("/")[0].rsplit(".", 1)[0] for k in keys]
    videos, index = np.unique(np.array(names, dtype=np.str_), return_inverse=True)
    return videos.tolist(), index.reshape(-1)


def _masked_mean(values: np.ndarray, mask: np.ndarray, axis: int) -> np.ndarray:
    n = mask.sum(axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(mask, values, 0).sum(axis) / np.maximum(n, 1), np.nan)


def evaluate_tables(truth: GraphTable, pred: GraphTable, constraint: str = "with",
                    ks: Iterable[int] = DEFAULT_KS, protocol: "str | Protocol" = DEFAULT_PROTOCOL,
                    threshold: Optional[float] = None, iou_threshold: float = 0.5,
                    use_boxes: bool = True) -> RecallResult:
    """Recall@K and mR@K over the frames of ``truth``; a frame missing from ``pred`` counts
    as an empty prediction. ``use_boxes=False`` scores classes and predicates only (for
    graph-only data). ``threshold`` overrides the protocol's ``semi`` threshold."""
    proto = get_protocol(protocol)
    if constraint not in CONSTRAINTS:
        raise ValueError(f"unknown constraint {constraint!r}; choose from {CONSTRAINTS}")
    proto.check_constraint(constraint)
    ks = tuple(sorted({int(k) for k in ks}))
    if not ks or ks[0] < 1:
        raise ValueError(f"K must be positive integers, got {ks}")
    threshold = proto.semi_threshold if threshold is None else float(threshold)
    index = pred.index()
    rows = np.array([index.get(k, -1) for k in truth.keys.tolist()], np.int64)
    gt = _truth_triplets(truth)
    ranked = rank_predictions(pred, rows, constraint, proto, threshold, max(ks))
    first = _first_hit_rank(truth, gt, pred, ranked, use_boxes, iou_threshold,
                            proto.iou_plus_one)

    n_frames = len(truth)
    g_frame, g_pred = gt[0], gt[3]
    n_gt = np.bincount(g_frame, minlength=n_frames)
    scored = n_gt > 0
    hit = np.stack([first < k for k in ks], 1).astype(np.float64)          # [G, K]
    frame_hits = np.stack([np.bincount(g_frame, weights=hit[:, i], minlength=n_frames)
                           for i in range(len(ks))], 1)
    recall = frame_hits[scored] / n_gt[scored, None]                       # [F', K]
    videos, video_of = _video_ids(truth.keys.tolist())
    video_of = video_of[scored]
    n_videos = len(videos)

    def by_video(values: np.ndarray, mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        sums = np.zeros((n_videos,) + values.shape[1:])
        counts = np.zeros((n_videos,) + mask.shape[1:])
        np.add.at(sums, video_of, np.where(mask, values, 0))
        np.add.at(counts, video_of, mask)
        return sums, counts

    ones = np.ones(recall.shape[0], bool)
    v_sum, v_n = by_video(recall, ones[:, None])
    present = v_n[:, 0] > 0
    video_mean = v_sum[present] / v_n[present]

    # mean recall: per (frame, predicate class)
    cls_index = g_frame * NUM_RELATIONSHIPS + g_pred
    n_cls = np.bincount(cls_index, minlength=n_frames * NUM_RELATIONSHIPS).reshape(
        n_frames, NUM_RELATIONSHIPS)[scored]
    has_cls = n_cls > 0
    mean_frame, mean_video = [], []
    for i in range(len(ks)):
        hits_cls = np.bincount(cls_index, weights=hit[:, i],
                               minlength=n_frames * NUM_RELATIONSHIPS).reshape(
            n_frames, NUM_RELATIONSHIPS)[scored]
        rec_cls = hits_cls / np.maximum(n_cls, 1)
        per_class = _masked_mean(rec_cls, has_cls, 0)
        mean_frame.append(np.nanmean(per_class) if np.isfinite(per_class).any() else np.nan)
        s, n = by_video(rec_cls, has_cls)
        vid_cls = np.where(n > 0, s / np.maximum(n, 1), 0)
        per_class_v = _masked_mean(vid_cls, n > 0, 0)
        mean_video.append(np.nanmean(per_class_v) if np.isfinite(per_class_v).any()
                          else np.nan)

    def as_k(values) -> Dict[int, float]:
        return {k: float(v) for k, v in zip(ks, values)}

    nan = [float("nan")] * len(ks)
    return RecallResult(
        ks=ks,
        video=as_k(video_mean.mean(0) if video_mean.size else nan),
        frame=as_k(recall.mean(0) if recall.size else nan),
        mean_video=as_k(mean_video), mean_frame=as_k(mean_frame),
        per_video={videos[v]: as_k(m) for v, m in zip(np.flatnonzero(present), video_mean)},
        frames_evaluated=int(scored.sum()), frames_without_ground_truth=int((~scored).sum()),
        protocol=proto.name, averaging=proto.averaging,
    )


def evaluate_recall(ground_truth: Mapping[str, SceneGraph], predictions: Mapping[str, SceneGraph],
                    constraint: str = "with", ks: Iterable[int] = DEFAULT_KS,
                    threshold: Optional[float] = None, iou_threshold: float = 0.5,
                    use_boxes: bool = True,
                    protocol: "str | Protocol" = DEFAULT_PROTOCOL) -> RecallResult:
    """:func:`evaluate_tables` on frame key -> SceneGraph mappings."""
    truth = GraphTable.from_graphs(
        [g if g.frame_key == k else _keyed(g, k) for k, g in ground_truth.items()])
    pred = GraphTable.from_graphs(
        [g if g.frame_key == k else _keyed(g, k) for k, g in predictions.items()])
    return evaluate_tables(truth, pred, constraint, ks, protocol, threshold, iou_threshold,
                           use_boxes)


def _keyed(graph: SceneGraph, key: str) -> SceneGraph:
    return SceneGraph(graph.labels, graph.scores, graph.person, graph.pair_objects,
                      graph.relations, graph.boxes, graph.image_size, frame_key=key)
