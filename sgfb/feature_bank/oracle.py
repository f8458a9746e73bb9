"""Oracle feature banks filled straight from the annotation columns (Action Genome §4.2).

With ground-truth graphs every score is 1, so the confidence matrix of a frame
(:mod:`sgfb.structures.confidence`) is 1 at ``(o, r)`` when a visible object of class o
holds relationship r, else 0. :func:`oracle_features` writes those ones into the bank array
of a whole video at once from the compact columns of :class:`~sgfb.data.ag_table.AGTable`,
without building a :class:`~sgfb.structures.SceneGraph` per frame; it equals
``frame_features([ag.scene_graph(k) for k in keys], layout)``.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from sgfb.data.action_genome import ActionGenome
from sgfb.structures.vocab import AG_OBJECTS
from sgfb.structures.confidence import OBJECT_ROWS, layout_relationships

_ROW_OF_LABEL = np.full(len(AG_OBJECTS), -1, np.int64)
_ROW_OF_LABEL[list(OBJECT_ROWS)] = np.arange(len(OBJECT_ROWS))


def oracle_inputs(ag: ActionGenome, video_id: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(counts, labels, bits)`` of a video's frames in frame order: visible objects per
    frame (int64 [T]), then their labels (int16) and relation bits (uint32), frame by frame.
    Small arrays, cheap to send to a worker process."""
    t = ag.table
    rows = ag.video_rows(video_id)
    frame, objects = t.object_rows(rows)
    seen = t.visible[objects]
    counts = np.bincount(frame[seen], minlength=len(rows)).astype(np.int64)
    return counts, t.labels[objects[seen]], t.relation_bits[objects[seen]]


def oracle_features(counts: np.ndarray, labels: np.ndarray, bits: np.ndarray,
                    layout: str = "paper") -> np.ndarray:
    """``[T, 35 * R]`` float32 bank features of ``T`` frames from :func:`oracle_inputs`."""
    relations = np.asarray(layout_relationships(layout))
    width = len(relations)
    features = np.zeros((len(counts), len(OBJECT_ROWS) * width), np.float32)
    if not len(labels):
        return features
    frame = np.repeat(np.arange(len(counts)), counts)
    held = (bits[:, None] >> relations.astype(np.uint32)[None, :]) & 1   # [M, R]
    obj, col = np.nonzero(held)
    row = _ROW_OF_LABEL[labels.astype(np.int64)[obj]]
    keep = row >= 0                                 # the person row is not in the bank
    features[frame[obj[keep]], row[keep] * width + col[keep]] = 1.0
    return features
