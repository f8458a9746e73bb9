"""Mean average precision, Charades protocol (DESIGN.md "Contracts").

Per class, the average precision of the scores over all samples (videos, clips or frames),
as scikit-learn's ``average_precision_score`` defines it (sum over positives of precision at
each recall step, ties broken by grouping equal scores); the mean is over the classes with at
least one positive. Vectorised over classes: one sort per class column.
"""
from __future__ import annotations

import numpy as np


def average_precision_per_class(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``[C]`` AP of each class (NaN for a class without positives).

    ``scores``: ``[N, C]`` float, higher = more confident; ``labels``: ``[N, C]`` 0/1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels) > 0
    if scores.shape != labels.shape or scores.ndim != 2:
        raise ValueError(f"scores {scores.shape} and labels {labels.shape} must both be [N, C]")
    n, c = scores.shape
    ap = np.full(c, np.nan)
    if n == 0:
        return ap
    order = np.argsort(-scores, axis=0, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    sorted_labels = np.take_along_axis(labels, order, axis=0)
    tp = np.cumsum(sorted_labels, axis=0)
    positives = tp[-1]
    for k in np.flatnonzero(positives > 0):
        # thresholds: the last index of each run of equal scores (ties count together)
        s = sorted_scores[:, k]
        last = np.r_[np.flatnonzero(s[1:] != s[:-1]), n - 1]
        tps = tp[last, k].astype(np.float64)
        precision = tps / (last + 1)
        recall = tps / positives[k]
        ap[k] = np.sum(np.diff(np.r_[0.0, recall]) * precision)
    return ap


def mean_average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean AP over the classes with at least one positive (NaN when there are none)."""
    ap = average_precision_per_class(scores, labels)
    valid = ~np.isnan(ap)
    return float(ap[valid].mean()) if valid.any() else float("nan")


def random_ranking_ap(labels: np.ndarray) -> np.ndarray:
    """``[C]`` expected AP of a uniformly random ranking of the ``N`` samples (NaN for a class
    without positives): the chance level a model's AP should beat on the same samples.

    With ``k`` positives among ``n``, the sample at rank ``r`` is a positive with probability
    ``k / n``, and then ``(r - 1)(k - 1) / (n - 1)`` positives are expected above it, so
    ``E[AP] = (1 / n) * sum_r (1 + (r - 1)(k - 1) / (n - 1)) / r``: exact, no sampling."""
    labels = np.asarray(labels) > 0
    if labels.ndim != 2:
        raise ValueError(f"labels {labels.shape} must be [N, C]")
    n = labels.shape[0]
    k = labels.sum(0).astype(np.float64)
    ap = np.full(labels.shape[1], np.nan)
    if n == 0:
        return ap
    r = np.arange(1, n + 1, dtype=np.float64)[:, None]
    above = (r - 1) * (k[None, :] - 1) / (n - 1) if n > 1 else np.zeros((1, labels.shape[1]))
    expected = ((1 + above) / r).sum(0) / n
    ap[k > 0] = expected[k > 0]
    return ap


def random_ranking_map(labels: np.ndarray) -> float:
    """Mean of :func:`random_ranking_ap` over the classes with at least one positive: the mAP
    of chance on these samples, as :func:`mean_average_precision` averages (NaN if none)."""
    ap = random_ranking_ap(labels)
    valid = ~np.isnan(ap)
    return float(ap[valid].mean()) if valid.any() else float("nan")
