"""Frame graphs of a dataset as flat tensors, prepared once (ST-SGN paper §3.4).

Each frame's graph has the person as its first node and one node per object present; every
object is joined to the person by one multi-edge whose vector ``e*`` in [0, 1]^|R| marks its
relationships (1 for ground truth; ``s_o * s_r`` for predicted graphs, so the same code
serves both). The person is the sink of every edge.

Layout (``F`` frames, ``N`` nodes in all):

- ``node_offsets`` ``[F + 1]``: nodes of frame ``f`` are ``node_offsets[f]:node_offsets[f+1]``,
  the first of them the person;
- ``node_type`` ``[N]``: object class (``person`` = 0);
- ``edge_vector`` ``[N, R]``: ``e*`` of the node's multi-edge to the person (zeros for the person).

:meth:`FrameGraphs.gather` turns any list of frames into a PyG-style batch (``edge_index``,
``batch``) with tensor operations only, so training has no per-graph Python loop.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, NamedTuple, Sequence

import numpy as np
import torch

from sgfb.structures.vocab import NUM_OBJECTS, PAPER_RELATIONSHIPS, PERSON
from sgfb.structures.confidence import pair_confidences
from sgfb.structures.scene_graph import SceneGraph

NUM_NODE_TYPES = NUM_OBJECTS


class GraphBatch(NamedTuple):
    """A batch of frame graphs. ``edge_index`` ``[2, E]`` (row 0 source object, row 1 the
    person), ``edge_vector`` ``[E, R]``, ``batch`` ``[n]`` graph of each node, ``person``
    ``[B]`` node index of each graph's person."""

    node_type: torch.Tensor
    edge_index: torch.Tensor
    edge_vector: torch.Tensor
    batch: torch.Tensor
    person: torch.Tensor
    num_graphs: int


def segment_ids(counts: torch.Tensor) -> torch.Tensor:
    """``[3, 1, 2]`` -> ``[0, 0, 0, 1, 2, 2]``."""
    return torch.repeat_interleave(torch.arange(counts.numel(), device=counts.device), counts)


def ranges(starts: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Concatenation of ``arange(s, s + c)`` for each (s, c), without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return torch.zeros(0, dtype=torch.long, device=starts.device)
    seg = segment_ids(counts)
    offsets = torch.cumsum(counts, 0) - counts
    return starts[seg] + torch.arange(total, device=starts.device) - offsets[seg]


@dataclass
class FrameGraphs:
    node_offsets: torch.Tensor   # long [F + 1]
    node_type: torch.Tensor      # long [N]
    edge_vector: torch.Tensor    # float [N, R]
    frame_keys: List[str]
    relationships: tuple         # indices into AG_RELATIONSHIPS kept as edge dimensions

    @classmethod
    def from_scene_graphs(cls, graphs: Sequence[SceneGraph],
                          relationships: Sequence[int] = PAPER_RELATIONSHIPS) -> "FrameGraphs":
        """Flatten ``graphs``. Objects without a pair (no relationship annotated or predicted)
        are still nodes with an all-zero edge. A graph without a person (nothing detected as a
        person) gets a person node, the sink every graph needs, and all-zero edges."""
        rel = np.asarray(relationships, dtype=np.int64)
        types, vectors, counts, keys = [], [], [], []
        for i, g in enumerate(graphs):
            objects = [n for n in range(g.num_nodes) if n != g.person]
            edge = np.zeros((len(objects) + 1, rel.size), np.float32)
            if g.num_pairs:
                row_of = {n: j + 1 for j, n in enumerate(objects)}
                rows = np.array([row_of[int(o)] for o in g.pair_objects])
                np.maximum.at(edge, rows, pair_confidences(g, rel))
            types.append(np.concatenate([[PERSON], g.labels[objects]]).astype(np.int64))
            vectors.append(edge)
            counts.append(len(objects) + 1)
            keys.append(g.frame_key or f"#{i}")
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(
            node_offsets=torch.from_numpy(offsets),
            node_type=torch.from_numpy(np.concatenate(types) if types else np.zeros(0, np.int64)),
            edge_vector=torch.from_numpy(np.concatenate(vectors) if vectors
                                         else np.zeros((0, rel.size), np.float32)),
            frame_keys=keys,
            relationships=tuple(int(r) for r in rel),
        )

    @property
    def num_frames(self) -> int:
        return self.node_offsets.numel() - 1

    @property
    def num_relationships(self) -> int:
        return self.edge_vector.shape[1]

    def gather(self, frames: torch.Tensor) -> GraphBatch:
        """The graphs of ``frames`` (``[B]`` frame indices, repeats allowed) as one batch."""
        frames = frames.to(torch.long)
        starts = self.node_offsets[frames]
        counts = self.node_offsets[frames + 1] - starts
        nodes = ranges(starts, counts)
        batch = segment_ids(counts)
        person = torch.cumsum(counts, 0) - counts
        is_object = torch.ones(nodes.numel(), dtype=torch.bool)
        is_object[person] = False
        src = torch.nonzero(is_object).reshape(-1)
        edge_index = torch.stack([src, person[batch[src]]])
        return GraphBatch(self.node_type[nodes], edge_index, self.edge_vector[nodes[src]],
                          batch, person, int(frames.numel()))

    def cached_relationship_matrices(self) -> torch.Tensor:
        """:meth:`relationship_matrices`, computed once."""
        if getattr(self, "_relmat", None) is None:
            self._relmat = self.relationship_matrices()
        return self._relmat

    def relationship_matrices(self) -> torch.Tensor:
        """``[F, |O| * |R|]`` flattened relationship matrices M[o, r] (max over the objects of
        class o), the RelMat baseline's input (ST-SGN §3.4; the person row stays zero)."""
        num_rel = self.num_relationships
        counts = self.node_offsets[1:] - self.node_offsets[:-1]
        frame_of_node = segment_ids(counts)
        flat = torch.zeros(self.num_frames * NUM_NODE_TYPES, num_rel)
        index = (frame_of_node * NUM_NODE_TYPES + self.node_type)[:, None].expand(-1, num_rel)
        flat.scatter_reduce_(0, index, self.edge_vector, reduce="amax")
        return flat.reshape(self.num_frames, NUM_NODE_TYPES * num_rel)
