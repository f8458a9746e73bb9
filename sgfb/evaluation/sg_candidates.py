"""Predicted triplets of many frames at once, as a protocol selects and ranks them.

Input: a predicted :class:`~sgfb.structures.graph_table.GraphTable` and, for each scored
frame, the row of its prediction (-1: none). Output: the kept triplets with their rank in
their frame (0 = best). Everything is array work over all frames, except the
``numpy_default_reversed`` tie order, which must call NumPy's default argsort on each
frame's own score array to order equal scores as STTran's evaluator does.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

import numpy as np

from sgfb.data.vocab import GROUP_SLICES
from sgfb.evaluation.sg_protocols import Protocol, as_float
from sgfb.structures.graph_table import GraphTable
from sgfb.structures.scene_graph import NUM_RELATIONSHIPS

SPATIAL = np.zeros(NUM_RELATIONSHIPS, bool)
SPATIAL[GROUP_SLICES["spatial"]] = True
_GROUPS = tuple(GROUP_SLICES.values())
_EMPTY = np.zeros(0, np.int64)


class Ranked(NamedTuple):
    """Kept triplets: frame, subject and object node (rows of the table's node arrays),
    predicate, rank inside the frame (0 = best score)."""

    frame: np.ndarray
    subject: np.ndarray
    object: np.ndarray
    predicate: np.ndarray
    rank: np.ndarray


def segment_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)`` for each segment."""
    total = int(lengths.sum())
    if total == 0:
        return _EMPTY
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total) + shift


def aligned_pairs(table: GraphTable, rows: np.ndarray) -> Tuple[np.ndarray, ...]:
    """Pairs of the frames ``rows`` (-1: no graph), frame-major: scored-frame index,
    person node, object node, pair row."""
    frames = np.flatnonzero(rows >= 0)
    t = rows[frames]
    lengths = table.pair_offsets[t + 1] - table.pair_offsets[t]
    pair = segment_ranges(table.pair_offsets[t], lengths)
    base = np.repeat(table.node_offsets[t], lengths)
    person = base + np.repeat(table.person[t], lengths)
    return np.repeat(frames, lengths), person, base + table.pair_objects[pair], pair


def _directed(person: np.ndarray, obj: np.ndarray, predicate: np.ndarray):
    spatial = SPATIAL[predicate]
    return np.where(spatial, obj, person), np.where(spatial, person, obj)


def rank_stable(frame: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank by score, best first; equal scores keep their input order."""
    order = np.lexsort((-score, frame))
    return _ranks_from_order(frame, order)


def _ranks_from_order(frame: np.ndarray, order: np.ndarray) -> np.ndarray:
    n = frame.shape[0]
    rank = np.empty(n, np.int64)
    sorted_frames = frame[order]
    first = np.searchsorted(sorted_frames, sorted_frames, side="left")
    rank[order] = np.arange(n) - first
    return rank


def _frame_bounds(frame: np.ndarray) -> Tuple[list, list]:
    cuts = np.flatnonzero(np.diff(frame)) + 1
    bounds = np.concatenate([[0], cuts, [frame.shape[0]]]).tolist()
    return bounds[:-1], bounds[1:]


def rank_numpy_reversed(frame: np.ndarray, score: np.ndarray) -> np.ndarray:
    """STTran's order: per frame, ``argsort()[::-1]`` (NumPy's default kind) of the frame's
    score array, so equal scores come out as NumPy's default sort leaves them, reversed."""
    n = frame.shape[0]
    rank = np.empty(n, np.int64)
    if n == 0:
        return rank
    # one global stable sort ranks every frame without equal scores; only frames with a
    # tie need NumPy's default argsort on their own array
    order = np.lexsort((-score, frame))
    rank[order] = np.arange(n) - np.searchsorted(frame[order], frame[order], side="left")
    s, f = score[order], frame[order]
    tied = np.unique(f[1:][(s[1:] == s[:-1]) & (f[1:] == f[:-1])])
    if tied.size:
        starts = np.searchsorted(frame, tied, side="left")
        stops = np.searchsorted(frame, tied, side="right")
        for a, b in zip(starts.tolist(), stops.tolist()):
            o = np.argsort(score[a:b])
            rank[a + o[::-1]] = np.arange(b - a)
    return rank


def _top_per_frame_numpy(frame: np.ndarray, neg_score: np.ndarray, cap: int) -> np.ndarray:
    """Indices of ``argsort(neg_score)[:cap]`` of each frame's segment, frame by frame."""
    out = []
    for a, b in zip(*_frame_bounds(frame)):
        out.append(a + np.argsort(neg_score[a:b])[:cap])
    return np.concatenate(out) if out else _EMPTY


def rank_ag(pred: GraphTable, rows: np.ndarray, constraint: str, protocol: Protocol,
            threshold: float) -> Ranked:
    frame, person, obj, pair = aligned_pairs(pred, rows)
    rel = pred.relations[pair]
    p = pair.shape[0]
    if constraint == "with":
        pi, k = np.arange(p), rel.argmax(1)
    elif constraint == "with_per_group":
        picks = np.stack([rel[:, sl].argmax(1) + sl.start for sl in _GROUPS], 1)
        pi, k = np.repeat(np.arange(p), len(_GROUPS)), picks.reshape(-1)
    elif constraint == "semi":
        thr = as_float(np.asarray(threshold), protocol)
        pi, k = np.nonzero(rel > thr if protocol.semi_strict else rel >= thr)
    else:
        pi, k = np.divmod(np.arange(p * NUM_RELATIONSHIPS), NUM_RELATIONSHIPS)
    sub, ob = _directed(person[pi], obj[pi], k)
    s = as_float(pred.scores, protocol)
    score = s[sub] * s[ob] * as_float(rel[pi, k], protocol)
    fr = frame[pi]
    if protocol.drop_zero_scores:
        keep = score != 0
        fr, sub, ob, k, score = fr[keep], sub[keep], ob[keep], k[keep], score[keep]
    rank = (rank_stable(fr, score) if protocol.tie_order == "stable"
            else rank_numpy_reversed(fr, score))
    return Ranked(fr, sub, ob, k.astype(np.int64), rank)


def rank_sttran(pred: GraphTable, rows: np.ndarray, constraint: str, protocol: Protocol,
                threshold: float, cap: Optional[int]) -> Ranked:
    """STTran's ``evaluate_from_dict`` on every frame: each pair gives three rows (attention
    person->object, spatial object->person, contacting person->object; a frame's rows are
    all attention rows, then all spatial, then all contacting), each a 26-wide score row
    that is zero outside its group."""
    frame, person, obj, pair = aligned_pairs(pred, rows)
    p = pair.shape[0]
    rp = np.tile(np.arange(p), 3)
    rg = np.repeat(np.arange(3), p)
    order = np.lexsort((rp, rg, frame[rp]))
    rp, rg = rp[order], rg[order]
    r_frame = frame[rp]
    r_sub = np.where(rg == 1, obj[rp], person[rp])
    r_obj = np.where(rg == 1, person[rp], obj[rp])
    w = np.zeros((rp.shape[0], NUM_RELATIONSHIPS), np.float64)
    for g, sl in enumerate(_GROUPS):
        m = rg == g
        w[m, sl] = pred.relations[pair[rp[m]], sl]
    if constraint == "with_per_group":
        ri, k = np.arange(rp.shape[0]), w.argmax(1)
    elif constraint == "semi":
        first_two = {0: (0, 1), 1: (3, 4), 2: (9, 10)}
        keep = np.zeros(w.shape, bool)
        for g, (a, b) in first_two.items():
            live = (rg == g) & (w[:, a] + w[:, b] > 0)
            if g == 0:
                keep[np.flatnonzero(live), w[live].argmax(1)] = True
            else:
                keep[live] = w[live] > threshold
        ri, k = np.nonzero(keep)
    else:   # "no": all rows x 26 columns, NumPy's default argsort per frame, top ``cap``
        s32 = pred.scores
        pair_score = (s32[r_sub] * s32[r_obj]).astype(np.float64)
        overall = (pair_score[:, None] * w).reshape(-1)
        flat_frame = np.repeat(r_frame, NUM_RELATIONSHIPS)
        top = _top_per_frame_numpy(flat_frame, -overall, cap if cap else overall.shape[0])
        ri, k = np.divmod(top, NUM_RELATIONSHIPS)
    ps = w[ri, k]
    sub, ob = r_sub[ri], r_obj[ri]
    s = pred.scores.astype(np.float64)
    score = (s[sub] * s[ob]) * ps
    fr = r_frame[ri]
    rank = (rank_numpy_reversed(fr, score) if protocol.tie_order == "numpy_default_reversed"
            else rank_stable(fr, score))
    return Ranked(fr, sub, ob, k.astype(np.int64), rank)


def rank_predictions(pred: GraphTable, rows: np.ndarray, constraint: str, protocol: Protocol,
                     threshold: float, max_rank: int) -> Ranked:
    """The predictions' triplets ranked per frame, those ranked below ``max_rank`` (and the
    protocol's cap under ``no``) dropped."""
    cap = protocol.no_cap if constraint == "no" else None
    if protocol.semantics == "sttran":
        r = rank_sttran(pred, rows, constraint, protocol, threshold, cap)
    else:
        r = rank_ag(pred, rows, constraint, protocol, threshold)
    limit = min(max_rank, cap) if cap else max_rank
    keep = r.rank < limit
    return Ranked(*(a[keep] for a in r))
