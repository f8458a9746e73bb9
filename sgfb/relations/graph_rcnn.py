"""Graph R-CNN, adapted to Action Genome (AG paper §5.3, Table 5 "Graph R-CNN").

Yang et al., "Graph R-CNN for Scene Graph Generation", ECCV 2018:

- relation proposal network (RePN, §3.2): a relatedness score per ordered pair of boxes,
  ``f(i, j) = σ(⟨Φ(o_i), Ψ(o_j)⟩)`` with two small MLPs, used to keep the top-K pairs;
- attentional graph convolution (aGCN, §3.3) over a graph of object nodes and relation nodes
  (one per kept pair, between its subject and object): each node adds attention-weighted
  messages from its neighbours of each type to a transformed copy of itself,
  ``z_i ← ReLU(W_skip z_i + Σ_type Σ_j α_ij W_type z_j)`` with
  ``α_ij = softmax_j(w_hᵀ ReLU(W_a [z_i, z_j]))`` over the neighbours of that type.
  Predicates are classified from the relation nodes.

Adapted to AG:

- pairs are the person-centred pairs of a frame (:mod:`sgfb.relations.encoder`), so the
  object-object edges are person <-> object and each relation node links the person to one
  object;
- RePN reads each box's pooled appearance and its class (one-hot) — the original reads the
  detector's class distribution. Every annotated AG pair is related, so RePN has no target of
  its own in training: its score multiplies the attention of the person <-> object messages
  and is trained through the predicate loss. ``relation_proposals`` = K keeps, per frame, the
  K most related pairs as the only message senders to the person (0, the default, keeps
  every pair: AG frames hold few objects); pruned pairs are still scored, from their own
  relation node (the evaluator needs a score for every candidate pair);
- outputs are AG's three predicate groups; object classes come from the detector.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from sgfb.detection.features import ImageFeatures
from sgfb.relations.encoder import (PairEncoder, frame_mean, frame_softmax, frame_sum, mlp,
                                    zero_linear)
from sgfb.relations.frequency import NUM_OBJECTS, NUM_RELATIONSHIPS
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs

# message types of the aGCN: (receiver, sender)
_TYPES = ("person<-object", "object<-person", "person<-relation", "object<-relation",
          "relation<-person", "relation<-object")


def top_k_per_frame(scores: torch.Tensor, frame_index: torch.Tensor, k: int) -> torch.Tensor:
    """``[P]`` bool: the ``k`` highest ``scores`` of each frame (all when ``k`` <= 0)."""
    if k <= 0 or scores.numel() == 0:
        return torch.ones_like(scores, dtype=torch.bool)
    # rank within frame: sort by (frame, -score)
    order = torch.argsort(scores.detach(), descending=True, stable=True)
    order = order[torch.argsort(frame_index[order], stable=True)]
    counts = torch.bincount(frame_index)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=order.device) - starts[frame_index[order]]
    return rank < k


class GraphRCNNHead(nn.Module):
    """RePN + aGCN over the person-centred graph (module docstring)."""

    def __init__(self, in_channels: int, hidden_dim: int = 512, iterations: int = 2,
                 relation_proposals: int = 0, pool_size: int = 7, sampling_ratio: int = 2,
                 featmap_names: Sequence[str] = ("0", "1", "2", "3")) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"Graph R-CNN needs at least one aGCN layer, got {iterations}")
        self.iterations, self.relation_proposals = int(iterations), int(relation_proposals)
        self.encoder = PairEncoder(in_channels, hidden_dim, pool_size, sampling_ratio, featmap_names)
        relate = hidden_dim // 4
        self.phi = mlp([hidden_dim + NUM_OBJECTS, relate])          # subject side
        self.psi = mlp([hidden_dim + NUM_OBJECTS, relate])          # object side
        self.skip = nn.ModuleDict({n: nn.Linear(hidden_dim, hidden_dim)
                                   for n in ("person", "object", "relation")})
        self.transform = nn.ModuleDict({t: nn.Linear(hidden_dim, hidden_dim) for t in _TYPES})
        # attention only where a node has several neighbours of a type: the person's objects
        # and relations (an object or relation node has one neighbour of each type, weight 1);
        # no bias in the last layer, a softmax ignores it
        self.attend = nn.ModuleDict({t: nn.Sequential(nn.Linear(2 * hidden_dim, relate), nn.ReLU(),
                                                      nn.Linear(relate, 1, bias=False))
                                     for t in ("person<-object", "person<-relation")})
        self.scores = zero_linear(hidden_dim, NUM_RELATIONSHIPS)

    def relatedness(self, subject: torch.Tensor, objects: torch.Tensor,
                    object_labels: torch.Tensor) -> torch.Tensor:
        """``[P]`` RePN scores in (0, 1) of the (person, object) pairs."""
        onehot = F.one_hot(object_labels.long().clamp(0, NUM_OBJECTS - 1), NUM_OBJECTS).to(objects)
        person = torch.zeros_like(onehot)
        person[:, 0] = 1.0                                          # AG class 0 is the person
        s = self.phi(torch.cat([subject, person], 1))
        o = self.psi(torch.cat([objects, onehot], 1))
        return torch.sigmoid((s * o).sum(1) / s.shape[1] ** 0.5)

    def _attention(self, kind: str, receiver: torch.Tensor, sender: torch.Tensor) -> torch.Tensor:
        return self.attend[kind](torch.cat([receiver, sender], 1)).squeeze(1)

    def layer(self, person: torch.Tensor, objects: torch.Tensor, relations: torch.Tensor,
              related: torch.Tensor, keep: torch.Tensor, frame_index: torch.Tensor):
        """One aGCN layer over ``person [F, D]``, ``objects [P, D]``, ``relations [P, D]``;
        ``related`` ``[P]`` gates the person <-> object messages; pairs outside ``keep``
        ``[P]`` (pruned by RePN) send the person nothing."""
        n = person.shape[0]
        subject = person[frame_index]
        t = self.transform

        def person_message(kind: str, senders: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
            # softmax over the frame's kept pairs, then the gate
            scores = self._attention(kind, subject, senders)
            alpha = frame_softmax(scores.masked_fill(~keep, -torch.inf), frame_index, n)
            return frame_sum((alpha * gate)[:, None] * t[kind](senders), frame_index, n)

        # an object or relation node has one neighbour of each type: its softmax weight is 1
        new_person = self.skip["person"](person) + person_message("person<-object", objects, related) \
            + person_message("person<-relation", relations, keep.to(related.dtype))
        new_objects = self.skip["object"](objects) + related[:, None] * t["object<-person"](subject) \
            + t["object<-relation"](relations)
        new_relations = self.skip["relation"](relations) + t["relation<-person"](subject) \
            + t["relation<-object"](objects)
        return F.relu(new_person), F.relu(new_objects), F.relu(new_relations)

    def forward(self, features: ImageFeatures, pairs: RelationPairs) -> RelationLogits:
        enc = self.encoder(features, pairs)
        person = frame_mean(enc.subject, pairs.frame_index, pairs.num_frames)
        related = self.relatedness(enc.subject, enc.object, pairs.object_labels)
        keep = top_k_per_frame(related, pairs.frame_index, self.relation_proposals)
        related = related * keep.to(related.dtype)
        objects, relations = enc.object, enc.union
        for _ in range(self.iterations):
            person, objects, relations = self.layer(person, objects, relations, related, keep,
                                                    pairs.frame_index)
        return RelationLogits.from_flat(self.scores(relations))

    def extra_repr(self) -> str:
        return f"iterations={self.iterations}, relation_proposals={self.relation_proposals}"
