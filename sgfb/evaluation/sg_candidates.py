"""Predicted triplets of many frames at once, as a protocol selects and ranks them.

Input: a predicted :class:`~sgfb.structures.graph_table.GraphTable` and, for each scored
frame, the row of its prediction (-1: none). Output: the kept triplets with their rank in
their frame (0 = best), in no particular order. Everything is array work over all frames
(:mod:`sgfb.evaluation.sg_ranking`), except where the ``numpy_default_reversed`` tie order
meets equal scores: those frames alone call NumPy's default argsort on their own score
array, to order equal scores as STTran's evaluator does.
"""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

import numpy as np

from sgfb.structures.vocab import GROUP_SLICES
from sgfb.evaluation.sg_protocols import Protocol, as_float
from sgfb.evaluation.sg_ranking import (frame_segments, rank_numpy_reversed, rank_segments,
                                        rank_stable, segment_ranges, top_per_frame_numpy)
from sgfb.structures.graph_table import GraphTable
from sgfb.structures.vocab import NUM_RELATIONSHIPS

SPATIAL = np.zeros(NUM_RELATIONSHIPS, bool)
SPATIAL[GROUP_SLICES["spatial"]] = True
_GROUPS = tuple(GROUP_SLICES.values())


class Ranked(NamedTuple):
    """Kept triplets: frame, subject and object node (rows of the table's node arrays),
    predicate, rank inside the frame (0 = best score)."""

    frame: np.ndarray
    subject: np.ndarray
    object: np.ndarray
    predicate: np.ndarray
    rank: np.ndarray


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
    else:   # "no": all rows x 26 columns, top ``cap`` per frame in NumPy's default order
        return _sttran_no(pred, r_frame, r_sub, r_obj, w, protocol, cap)
    ps = w[ri, k]
    sub, ob = r_sub[ri], r_obj[ri]
    s = pred.scores.astype(np.float64)
    score = (s[sub] * s[ob]) * ps
    fr = r_frame[ri]
    rank = (rank_numpy_reversed(fr, score) if protocol.tie_order == "numpy_default_reversed"
            else rank_stable(fr, score))
    return Ranked(fr, sub, ob, k.astype(np.int64), rank)


def _sttran_no(pred: GraphTable, r_frame: np.ndarray, r_sub: np.ndarray, r_obj: np.ndarray,
               w: np.ndarray, protocol: Protocol, cap: Optional[int]) -> Ranked:
    """STTran's ``no``: per frame, ``argsort(-overall)[:cap]`` (NumPy's default kind) of its
    rows x 26 scores ``overall`` (float32 pair score times predicate score), then the picks
    ranked by their float64 triplet score. The pick, and the order of the picks that the
    ranking's tie order sees, depend on NumPy's tie order only in frames where equal
    ``overall`` values straddle the cut or picked triplet scores tie; only those frames run
    the per-frame argsort, every other frame is picked and ranked by array operations."""
    s32, s64 = pred.scores, pred.scores.astype(np.float64)
    pair_score = (s32[r_sub] * s32[r_obj]).astype(np.float64)
    overall = (pair_score[:, None] * w).reshape(-1)
    starts, lengths = frame_segments(r_frame)
    starts, lengths = starts * NUM_RELATIONSHIPS, lengths * NUM_RELATIONSHIPS
    cap = cap if cap else int(lengths.max(initial=0))
    numpy_order = protocol.tie_order == "numpy_default_reversed"

    def triplet_score(flat: np.ndarray) -> np.ndarray:
        ri, k = np.divmod(flat, NUM_RELATIONSHIPS)
        return (s64[r_sub[ri]] * s64[r_obj[ri]]) * w[ri, k]

    fast, exact = top_per_frame_numpy(starts, lengths, overall, cap)
    fast_frame = r_frame[fast // NUM_RELATIONSHIPS]
    rank, seg_starts, seg_lengths, tied = rank_segments(fast_frame, triplet_score(fast))
    if tied.any():      # the picks' order decides these frames' ranks: redo them exactly
        frames = r_frame[starts // NUM_RELATIONSHIPS]
        exact = np.union1d(exact, np.searchsorted(frames, fast_frame[seg_starts[tied]]))
        keep = ~np.repeat(tied, seg_lengths)
        fast, rank = fast[keep], rank[keep]
    picks, ranks = [fast], [rank]
    for a, m in zip(starts[exact].tolist(), lengths[exact].tolist()):
        top = a + np.argsort(-overall[a:a + m])[:cap]
        score = triplet_score(top)
        order = np.argsort(score)[::-1] if numpy_order else np.argsort(-score, kind="stable")
        r = np.empty(top.shape[0], np.int64)
        r[order] = np.arange(top.shape[0])
        picks.append(top)
        ranks.append(r)
    ri, k = np.divmod(np.concatenate(picks), NUM_RELATIONSHIPS)
    return Ranked(r_frame[ri], r_sub[ri], r_obj[ri], k.astype(np.int64), np.concatenate(ranks))


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
