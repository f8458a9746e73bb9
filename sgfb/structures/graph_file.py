"""A video's scene graphs in one compact file (``.npz``, no pickled objects).

The frames' arrays are concatenated and indexed by offsets (CSR layout), so a file holds
any number of frames in a handful of arrays and loads with ``allow_pickle=False``:

- ``frame_keys`` ``[F]`` str; ``person`` ``[F]`` (-1: none); ``image_size`` ``[F, 2]`` (-1: unknown);
  ``has_boxes`` ``[F]`` bool;
- ``node_offsets`` ``[F + 1]``; ``labels`` ``[sum N]``; ``scores`` ``[sum N]``; ``boxes`` ``[sum N, 4]``;
- ``pair_offsets`` ``[F + 1]``; ``pair_objects`` ``[sum P]`` (frame-local node index);
  ``relations`` ``[sum P, 26]``.

Files are written atomically (temporary file, then rename), so a crash never leaves a
half-written file under the final name.
"""
from __future__ import annotations

import zipfile
from typing import Dict, Iterable, Mapping

import numpy as np

from sgfb.atomic_io import atomic_write
from sgfb.structures.scene_graph import NUM_RELATIONSHIPS, SceneGraph

FORMAT_VERSION = 1


def save_graphs(path: str, graphs: Iterable[SceneGraph] | Mapping[str, SceneGraph]) -> None:
    """Write ``graphs`` (in order) to ``path``. Every graph needs a ``frame_key``."""
    items = list(graphs.values()) if isinstance(graphs, Mapping) else list(graphs)
    keys = []
    for i, g in enumerate(items):
        if not g.frame_key:
            raise ValueError(f"{path}: graph {i} has no frame_key")
        keys.append(g.frame_key)
    if len(set(keys)) != len(keys):
        raise ValueError(f"{path}: duplicate frame keys")

    def offsets(counts: list) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)

    def cat(arrays: list, shape_tail: tuple, dtype) -> np.ndarray:
        return np.concatenate(arrays) if arrays else np.zeros((0,) + shape_tail, dtype)

    boxes = [g.boxes if g.boxes is not None else np.full((g.num_nodes, 4), np.nan, np.float32)
             for g in items]
    arrays = dict(
        format_version=np.array(FORMAT_VERSION),
        frame_keys=np.array(keys, dtype=np.str_),
        person=np.array([-1 if g.person is None else g.person for g in items], np.int64),
        image_size=np.array([g.image_size or (-1, -1) for g in items], np.int64).reshape(-1, 2),
        has_boxes=np.array([g.has_boxes for g in items], bool),
        node_offsets=offsets([g.num_nodes for g in items]),
        labels=cat([g.labels for g in items], (), np.int64),
        scores=cat([g.scores for g in items], (), np.float32),
        boxes=cat(boxes, (4,), np.float32),
        pair_offsets=offsets([g.num_pairs for g in items]),
        pair_objects=cat([g.pair_objects for g in items], (), np.int64),
        relations=cat([g.relations for g in items], (NUM_RELATIONSHIPS,), np.float32),
    )
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)


def load_graphs(path: str) -> Dict[str, SceneGraph]:
    """Read a file written by :func:`save_graphs`: frame key -> SceneGraph, in saved order."""
    try:
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a scene-graph file ({exc})") from exc
    version = int(a.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise ValueError(f"{path}: scene-graph file version {version}, expected {FORMAT_VERSION}")
    out: Dict[str, SceneGraph] = {}
    no, po = a["node_offsets"], a["pair_offsets"]
    for i, key in enumerate(a["frame_keys"].tolist()):
        n0, n1, p0, p1 = no[i], no[i + 1], po[i], po[i + 1]
        size = tuple(int(v) for v in a["image_size"][i])
        person = int(a["person"][i])
        out[key] = SceneGraph(
            labels=a["labels"][n0:n1], scores=a["scores"][n0:n1],
            person=None if person < 0 else person,
            pair_objects=a["pair_objects"][p0:p1], relations=a["relations"][p0:p1],
            boxes=a["boxes"][n0:n1] if a["has_boxes"][i] else None,
            image_size=None if size[0] < 0 else size, frame_key=key,
        )
    return out
