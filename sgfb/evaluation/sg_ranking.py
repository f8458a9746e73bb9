"""Ranking scores inside frames, for many frames at once.

Scores arrive frame-major (each frame's entries contiguous, frames in increasing order).
Frames of equal length are sorted together as the rows of one 2-D array, so the cost is a
handful of NumPy calls per distinct frame length, not one per frame. The only per-frame
work left is where the protocol's tie order needs NumPy's default (unstable) argsort on a
frame's own array: that order depends on the whole array, so no other computation can
reproduce it, and it is needed only for frames whose scores tie.
"""
from __future__ import annotations

from typing import Iterator, Tuple

import numpy as np

_EMPTY = np.zeros(0, np.int64)
_CHUNK = 1 << 20          # elements per 2-D block (bounds the temporary memory)


def segment_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + length)`` for each segment."""
    total = int(lengths.sum())
    if total == 0:
        return _EMPTY
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total) + shift


def frame_segments(frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values of the non-decreasing ``frame``."""
    n = frame.shape[0]
    if n == 0:
        return _EMPTY, _EMPTY
    if (frame[1:] < frame[:-1]).any():
        raise ValueError("frame indices must be non-decreasing (frame-major order)")
    starts = np.concatenate([[0], np.flatnonzero(frame[1:] != frame[:-1]) + 1])
    return starts, np.diff(np.append(starts, n))


def blocks(starts: np.ndarray, lengths: np.ndarray
           ) -> Iterator[Tuple[int, np.ndarray, np.ndarray]]:
    """``(length, segment ids, [m, length] element indices)`` for the segments of each
    length, in blocks of at most about ``_CHUNK`` elements."""
    for length in np.unique(lengths).tolist():
        ids = np.flatnonzero(lengths == length)
        step = max(1, _CHUNK // max(length, 1))
        for i in range(0, ids.shape[0], step):
            part = ids[i:i + step]
            yield length, part, starts[part][:, None] + np.arange(length)


def rank_segments(frame: np.ndarray, score: np.ndarray) -> Tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray, np.ndarray]:
    """Rank inside each frame by score, best first, equal scores in input order (the order
    of a stable sort). Returns the rank, the segments' starts and lengths, and whether each
    segment holds equal scores."""
    n = frame.shape[0]
    rank = np.empty(n, np.int64)
    starts, lengths = frame_segments(frame)
    tied = np.zeros(starts.shape[0], bool)
    for length, ids, idx in blocks(starts, lengths):
        neg = -score[idx]
        order = np.argsort(neg, axis=1, kind="stable")
        rank[np.take_along_axis(idx, order, 1)] = np.arange(length)
        if length > 1:
            s = np.take_along_axis(neg, order, 1)
            tied[ids] = (s[:, 1:] == s[:, :-1]).any(1)
    return rank, starts, lengths, tied


def rank_stable(frame: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank by score, best first; equal scores keep their input order."""
    return rank_segments(frame, score)[0]


def rank_numpy_reversed(frame: np.ndarray, score: np.ndarray) -> np.ndarray:
    """STTran's order: per frame, ``argsort()[::-1]`` (NumPy's default kind) of the frame's
    score array, so equal scores come out as NumPy's default sort leaves them, reversed.
    Frames without equal scores have one order whatever the sort: only tied frames call
    NumPy's default argsort on their own array."""
    rank, starts, lengths, tied = rank_segments(frame, score)
    for a, m in zip(starts[tied].tolist(), lengths[tied].tolist()):
        rank[a + np.argsort(score[a:a + m])[::-1]] = np.arange(m)
    return rank


def top_per_frame_numpy(starts: np.ndarray, lengths: np.ndarray, value: np.ndarray,
                        cap: int) -> Tuple[np.ndarray, np.ndarray]:
    """The ``cap`` largest values of each segment, as STTran picks them:
    ``argsort(-segment)[:cap]`` with NumPy's default kind.

    Returns ``(fast, exact)``: ``fast`` holds the picked indices of every segment whose pick
    does not depend on the sort's tie order (it has at most ``cap`` values, or its
    ``cap``-th and ``cap + 1``-th largest differ), in index order, not in score order;
    ``exact`` the ids of the other segments (equal values straddle the cut, or NaN), which
    the caller picks with the per-segment argsort.
    """
    keep = np.zeros(value.shape[0], bool)
    exact = []
    for length, ids, idx in blocks(starts, lengths):
        if length <= cap:
            keep[idx] = True
            continue
        neg = -value[idx]
        part = np.partition(neg, (cap - 1, cap), axis=1)
        kth = part[:, cap - 1]
        clean = part[:, cap] > kth          # False where equal (or NaN): tie order decides
        keep[idx[clean]] = neg[clean] <= kth[clean, None]
        exact.append(ids[~clean])
    return np.flatnonzero(keep), (np.concatenate(exact) if exact else _EMPTY)
