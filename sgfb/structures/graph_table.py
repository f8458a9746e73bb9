"""Many frames' scene graphs as one set of flat arrays (CSR layout, DESIGN.md "SceneGraph").

The layout of a graph file (:mod:`sgfb.structures.graph_file`) held in memory: the frames'
nodes and pairs are concatenated and indexed by offsets, so whole test sets are read,
written and evaluated with array operations instead of one Python object per frame.

- ``keys`` ``[F]`` frame keys; ``person`` ``[F]`` frame-local node (-1: none);
  ``image_size`` ``[F, 2]`` (-1: unknown); ``has_boxes`` ``[F]`` bool;
- ``node_offsets`` ``[F + 1]``; ``labels`` ``[sum N]``; ``scores`` ``[sum N]`` float32;
  ``boxes`` ``[sum N, 4]`` float32 (NaN rows for frames without boxes);
- ``pair_offsets`` ``[F + 1]``; ``pair_objects`` ``[sum P]`` (frame-local node index);
  ``relations`` ``[sum P, 26]`` float32.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Sequence

import numpy as np

from sgfb.structures.scene_graph import NUM_RELATIONSHIPS, SceneGraph

ARRAYS = ("keys", "person", "image_size", "has_boxes", "node_offsets", "labels", "scores",
          "boxes", "pair_offsets", "pair_objects", "relations")


def offsets(counts: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(counts, np.int64))]).astype(np.int64)


@dataclass
class GraphTable:
    keys: np.ndarray
    person: np.ndarray
    image_size: np.ndarray
    has_boxes: np.ndarray
    node_offsets: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    pair_offsets: np.ndarray
    pair_objects: np.ndarray
    relations: np.ndarray

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    # ----------------------------------------------------------------- building
    @classmethod
    def from_graphs(cls, graphs: Iterable[SceneGraph] | Mapping[str, SceneGraph]) -> "GraphTable":
        items = list(graphs.values()) if isinstance(graphs, Mapping) else list(graphs)

        def cat(arrays: list, tail: tuple, dtype) -> np.ndarray:
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros((0,) + tail, dtype)

        return cls(
            keys=np.array([g.frame_key or "" for g in items], dtype=np.str_),
            person=np.array([-1 if g.person is None else g.person for g in items], np.int64),
            image_size=np.array([g.image_size or (-1, -1) for g in items],
                                np.int64).reshape(-1, 2),
            has_boxes=np.array([g.has_boxes for g in items], bool),
            node_offsets=offsets([g.num_nodes for g in items]),
            labels=cat([g.labels for g in items], (), np.int64),
            scores=cat([g.scores for g in items], (), np.float32),
            boxes=cat([g.boxes if g.boxes is not None
                       else np.full((g.num_nodes, 4), np.nan, np.float32) for g in items],
                      (4,), np.float32),
            pair_offsets=offsets([g.num_pairs for g in items]),
            pair_objects=cat([g.pair_objects for g in items], (), np.int64),
            relations=cat([g.relations for g in items], (NUM_RELATIONSHIPS,), np.float32),
        )

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray]) -> "GraphTable":
        return cls(keys=a["frame_keys"], **{k: a[k] for k in ARRAYS if k != "keys"})

    def to_arrays(self) -> Dict[str, np.ndarray]:
        out = {k: getattr(self, k) for k in ARRAYS if k != "keys"}
        out["frame_keys"] = self.keys
        return out

    @classmethod
    def concat(cls, tables: Sequence["GraphTable"]) -> "GraphTable":
        if len(tables) == 1:
            return tables[0]
        if not tables:
            return cls.from_graphs([])

        def shifted(name: str) -> np.ndarray:
            parts, base = [np.zeros(1, np.int64)], 0
            for t in tables:
                parts.append(getattr(t, name)[1:] + base)
                base += int(getattr(t, name)[-1])
            return np.concatenate(parts)

        return cls(**{k: np.concatenate([getattr(t, k) for t in tables])
                      for k in ARRAYS if not k.endswith("offsets")},
                   node_offsets=shifted("node_offsets"), pair_offsets=shifted("pair_offsets"))

    # ----------------------------------------------------------------- reading
    def graph(self, i: int) -> SceneGraph:
        n0, n1 = self.node_offsets[i], self.node_offsets[i + 1]
        p0, p1 = self.pair_offsets[i], self.pair_offsets[i + 1]
        size = tuple(int(v) for v in self.image_size[i])
        person = int(self.person[i])
        return SceneGraph(
            labels=self.labels[n0:n1], scores=self.scores[n0:n1],
            person=None if person < 0 else person,
            pair_objects=self.pair_objects[p0:p1], relations=self.relations[p0:p1],
            boxes=self.boxes[n0:n1] if self.has_boxes[i] else None,
            image_size=None if size[0] < 0 else size, frame_key=str(self.keys[i]),
        )

    def graphs(self) -> Dict[str, SceneGraph]:
        """Frame key -> SceneGraph, in table order."""
        return {str(k): self.graph(i) for i, k in enumerate(self.keys.tolist())}

    def index(self) -> Dict[str, int]:
        return {k: i for i, k in enumerate(self.keys.tolist())}

    def validate(self, where: str) -> None:
        """Cheap consistency checks of the flat arrays (names ``where`` in the error)."""
        f, n, p = len(self), self.labels.shape[0], self.pair_objects.shape[0]
        problems: List[str] = []
        if self.node_offsets.shape != (f + 1,) or self.pair_offsets.shape != (f + 1,):
            problems.append("offsets do not match the number of frames")
        elif self.node_offsets[-1] != n or self.pair_offsets[-1] != p:
            problems.append("offsets do not match the node or pair arrays")
        if self.scores.shape != (n,) or self.boxes.shape != (n, 4):
            problems.append("scores or boxes do not match the nodes")
        if self.relations.shape != (p, NUM_RELATIONSHIPS):
            problems.append("relations do not match the pairs")
        if not problems and p:
            pf = np.repeat(np.arange(f), np.diff(self.pair_offsets))
            nodes = np.diff(self.node_offsets)[pf]
            if (self.pair_objects < 0).any() or (self.pair_objects >= nodes).any() \
                    or (self.person[pf] < 0).any():
                problems.append("pairs point outside their frame's nodes or lack a person")
        if problems:
            raise ValueError(f"{where}: invalid scene-graph arrays: {'; '.join(problems)}")
