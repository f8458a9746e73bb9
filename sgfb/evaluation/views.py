"""Video-level scores from clip views (Charades protocol, as LFB / PySlowFast).

At test time each video is seen through several views (temporal clips x spatial crops); a
video's score for a class is the maximum (or mean) of its views' scores, and mAP is computed
over videos against the video's labels (every class that occurs in it).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from sgfb.data.charades import Charades

REDUCTIONS = ("max", "mean")


def aggregate_views(scores, video_ids: Sequence[str],
                    reduce: str = "max") -> Tuple[List[str], np.ndarray]:
    """``(video ids sorted, [V, C] scores)``: per video, the max (or mean) over its items.

    ``scores``: ``[N_items, C]`` (numpy or a CPU torch tensor); ``video_ids``: the video of
    each item (any order, any number of items per video).
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduce!r}; choose one of {REDUCTIONS}")
    if hasattr(scores, "detach"):
        scores = scores.detach().cpu().numpy()
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be [N_items, C], got shape {scores.shape}")
    ids = [str(v) for v in video_ids]
    if len(ids) != scores.shape[0]:
        raise ValueError(f"{scores.shape[0]} score rows for {len(ids)} video ids")
    if not ids:
        return [], np.zeros((0, scores.shape[1]), np.float64)
    unique, inverse = np.unique(np.asarray(ids, dtype=str), return_inverse=True)
    out = np.full((unique.size, scores.shape[1]), -np.inf if reduce == "max" else 0.0)
    if reduce == "max":
        np.maximum.at(out, inverse, scores)
    else:
        np.add.at(out, inverse, scores)
        out /= np.bincount(inverse, minlength=unique.size)[:, None]
    return unique.tolist(), out


def video_targets(charades: Charades, video_ids: Sequence[str],
                  num_classes: Optional[int] = None) -> np.ndarray:
    """float32 ``[V, C]`` multi-hot of every class occurring in each video (row order of
    ``video_ids``); ``num_classes`` defaults to ``charades.num_classes``."""
    num_classes = charades.num_classes if num_classes is None else int(num_classes)
    out = np.zeros((len(video_ids), num_classes), np.float32)
    for row, video_id in enumerate(video_ids):
        labels = sorted(charades.video_labels(video_id))
        if labels and labels[-1] >= num_classes:
            raise ValueError(f"{video_id}: action class c{labels[-1]:03d} is beyond the "
                             f"{num_classes} classes")
        out[row, labels] = 1.0
    return out
