"""Scene-graph confidence matrices (Action Genome paper §4.2).

For every frame, ``C[o, r] = s_o * s_r``: the detector's confidence in an object of class o
times the predicate head's confidence that the person relates to it by r. When a frame holds
several objects of one class, each entry keeps the largest product. Flattened, C is the
frame's feature in the bank.

Layouts: ``paper`` (default) is 35 objects (person left out) x 25 relationships
(``other_relationship`` left out) = 875, as in the paper; ``full`` keeps all 26
relationships: 35 x 26 = 910. Row-major: entry ``o * R + r`` holds object o, relationship r.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS, PAPER_RELATIONSHIPS, PERSON
from sgfb.structures.scene_graph import SceneGraph

OBJECT_ROWS: Tuple[int, ...] = tuple(i for i in range(len(AG_OBJECTS)) if i != PERSON)
LAYOUTS = {
    "paper": PAPER_RELATIONSHIPS,
    "full": tuple(range(len(AG_RELATIONSHIPS))),
}


def layout_relationships(layout: str) -> Tuple[int, ...]:
    try:
        return LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"unknown confidence-matrix layout {layout!r}; choose from "
                         f"{sorted(LAYOUTS)}") from None


def feature_dim(layout: str = "paper") -> int:
    return len(OBJECT_ROWS) * len(layout_relationships(layout))


def pair_confidences(graph: SceneGraph, relationships: Sequence[int]) -> np.ndarray:
    """``[P, len(relationships)]`` products ``s_o * s_r`` of every person-object pair: the
    object's detection score times each relationship's score (ground truth: 1 * 0/1)."""
    rels = np.asarray(relationships, dtype=np.int64)
    if not graph.num_pairs:
        return np.zeros((0, rels.size), np.float32)
    return (graph.scores[graph.pair_objects][:, None] * graph.relations[:, rels]).astype(np.float32)


def confidence_matrix(graph: SceneGraph, layout: str = "paper") -> np.ndarray:
    """``[35, R]`` float32 matrix C of one frame (zeros where nothing was found)."""
    rels = layout_relationships(layout)
    out = np.zeros((len(AG_OBJECTS), len(rels)), np.float32)
    if graph.num_pairs:
        np.maximum.at(out, graph.pair_labels, pair_confidences(graph, rels))
    return out[list(OBJECT_ROWS)]


def frame_features(graphs: Sequence[SceneGraph], layout: str = "paper") -> np.ndarray:
    """``[T, 35 * R]`` flattened confidence matrices of ``graphs``, in order."""
    dim = feature_dim(layout)
    if not graphs:
        return np.zeros((0, dim), np.float32)
    return np.stack([confidence_matrix(g, layout).reshape(dim) for g in graphs])
