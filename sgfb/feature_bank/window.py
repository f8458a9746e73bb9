"""Window queries on a video's feature bank (Action Genome paper §4.2, after LFB).

A bank is a time-stamped sequence of frame features: ``times`` ``[K]`` seconds, increasing,
and ``features`` ``[K, D]``. A query returns the entries within a window of ``W`` seconds
centred on a clip (or the whole video, ``W = inf``), sub-sampled or zero-padded to a fixed
number of slots, with a mask marking the real ones.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np


#: Seconds of slack at the window's edges, so frames exactly on an edge are kept despite
#: floating-point rounding of (n - 1) / fps (the same tolerance as the ST-SGN frame windows).
EDGE_TOLERANCE = 1e-9


def select_window(times: np.ndarray, center: float, width: float) -> np.ndarray:
    """Indices of the entries with ``|t - center| <= width / 2`` (all when width is inf)."""
    times = np.asarray(times, dtype=np.float64)
    if math.isinf(width):
        return np.arange(times.size)
    lo, hi = center - width / 2 - EDGE_TOLERANCE, center + width / 2 + EDGE_TOLERANCE
    return np.arange(np.searchsorted(times, lo, "left"), np.searchsorted(times, hi, "right"))


def uniform_subsample(indices: np.ndarray, slots: int) -> np.ndarray:
    """``slots`` entries spread evenly over ``indices`` when there are more (the first and,
    for ``slots`` > 1, the last kept), else all of them."""
    if indices.size <= slots:
        return indices
    picks = np.round(np.linspace(0, indices.size - 1, slots)).astype(np.int64)
    return indices[picks]


def query_window(times: np.ndarray, features: np.ndarray, center: float, width: float,
                 slots: int) -> Tuple[np.ndarray, np.ndarray]:
    """``([slots, D] features, [slots] bool mask)``: the window's entries in time order,
    then zero rows with mask False."""
    if slots < 1:
        raise ValueError(f"slots must be at least 1, got {slots}")
    features = np.asarray(features, dtype=np.float32)
    chosen = uniform_subsample(select_window(times, center, width), slots)
    out = np.zeros((slots, features.shape[1]), np.float32)
    mask = np.zeros(slots, bool)
    out[:chosen.size] = features[chosen]
    mask[:chosen.size] = True
    return out, mask
