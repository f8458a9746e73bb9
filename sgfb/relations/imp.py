"""Iterative message passing (IMP), adapted to Action Genome (AG paper §5.3, Table 5 "IMP").

Xu et al., "Scene Graph Generation by Iterative Message Passing", CVPR 2017, §3: a node GRU
per object and an edge GRU per (subject, object) pair, whose hidden states exchange messages
for a few iterations; messages are pooled with learnt scalar gates ("visual-semantic
pooling", §3.3)::

    node i:  m_i  = Σ_{i→j} σ(u_o·[h_i, h_ij]) h_ij + Σ_{j→i} σ(u_i·[h_i, h_ji]) h_ji
    edge ij: m_ij = σ(w_s·[h_i, h_ij]) h_i + σ(w_o·[h_j, h_ij]) h_j

The GRUs first read the visual features (node: the box's pooled appearance; edge: the union
box's), then the messages; the predicates are read from the final edge states.

Adapted to AG: the graph of a frame is the person-centred star of
:mod:`sgfb.relations.encoder` (edges person -> object only, not every ordered pair of
boxes), so the person node pools over all of its frame's edges and an object node over its
one edge; outputs are AG's three predicate groups; object classes come from the detector (the
node states are not classified). ``iterations`` (2 by default, the paper's best was 2) sets
the number of message-passing rounds.

Where the predicate scores start (``score_bias``, ``relations.marginal_bias`` in configs, on by
default). The paper does not say how the readout of the edge states is initialised. Starting
it at zero, as the other heads do, IMP does not learn under AdamW (Table 5 schedule: lr 1e-3,
10 warm-up iterations): the loss starts at 17 (every sigmoid at 1/2), and the quickest way
down is the marginals (about 5.4), which the readout's bias reaches only at lr per step while
its 26 x D weights reach them in a few steps if every edge state is the same saturated
vector. Within 20 iterations the GRU inputs grow from 0.3 to 11 (rms), the candidate's tanh
and the update gate saturate, the edge states of all pairs become equal, the gradient below
the edge GRU falls by 4 orders of magnitude and never recovers: the head predicts the
marginals whatever the pair (docs/results.md, Table 5, "IMP"). The bounded GRU states are
what makes this a dead end; heads that read unbounded ReLU features recover. So the bias
starts at the training marginals over all object classes (log-probabilities for attention,
log-odds for spatial and contacting; :func:`~sgfb.relations.frequency.marginal_logits`), the
prior initialisation of Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017 §4.1,
and the weights have no constant to carry. It is the same for every pair, so it is no
frequency prior per class (the paper's IMP has none); ``score_bias=None``
(``relations.marginal_bias=false``) gives the zero start.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from sgfb.detection.features import ImageFeatures
from sgfb.relations.encoder import PairEncoder, frame_mean, frame_sum, zero_linear
from sgfb.relations.frequency import NUM_RELATIONSHIPS
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs


class IMPHead(nn.Module):
    """Node and edge GRUs with gated message pooling (module docstring)."""

    def __init__(self, in_channels: int, hidden_dim: int = 512, iterations: int = 2,
                 pool_size: int = 7, sampling_ratio: int = 2,
                 featmap_names: Sequence[str] = ("0", "1", "2", "3"),
                 score_bias: Optional[torch.Tensor] = None) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"IMP needs at least one message-passing iteration, got {iterations}")
        self.iterations = int(iterations)
        self.encoder = PairEncoder(in_channels, hidden_dim, pool_size, sampling_ratio, featmap_names)
        self.node_gru = nn.GRUCell(hidden_dim, hidden_dim)
        self.edge_gru = nn.GRUCell(hidden_dim, hidden_dim)
        # scalar gates: node <- outgoing edge, node <- incoming edge, edge <- subject, edge <- object
        self.gate_out = nn.Linear(2 * hidden_dim, 1)
        self.gate_in = nn.Linear(2 * hidden_dim, 1)
        self.gate_subject = nn.Linear(2 * hidden_dim, 1)
        self.gate_object = nn.Linear(2 * hidden_dim, 1)
        self.scores = zero_linear(hidden_dim, NUM_RELATIONSHIPS)
        if score_bias is not None:       # the marginals (module docstring)
            if tuple(score_bias.shape) != (NUM_RELATIONSHIPS,):
                raise ValueError(f"expected a [{NUM_RELATIONSHIPS}] score bias, "
                                 f"got {tuple(score_bias.shape)}")
            with torch.no_grad():
                self.scores.bias.copy_(score_bias)

    def messages(self, person: torch.Tensor, objects: torch.Tensor, edges: torch.Tensor,
                 frame_index: torch.Tensor):
        """One round of messages: ``(to persons [F, D], to objects [P, D], to edges [P, D])``.

        ``person`` ``[F, D]`` (one node per frame), ``objects``/``edges`` ``[P, D]`` (pair p's
        object node and its edge from the person of frame ``frame_index[p]``)."""
        subject = person[frame_index]
        to_person = frame_sum(torch.sigmoid(self.gate_out(torch.cat([subject, edges], 1))) * edges,
                              frame_index, person.shape[0])
        to_object = torch.sigmoid(self.gate_in(torch.cat([objects, edges], 1))) * edges
        to_edge = (torch.sigmoid(self.gate_subject(torch.cat([subject, edges], 1))) * subject
                   + torch.sigmoid(self.gate_object(torch.cat([objects, edges], 1))) * objects)
        return to_person, to_object, to_edge

    def forward(self, features: ImageFeatures, pairs: RelationPairs) -> RelationLogits:
        enc = self.encoder(features, pairs)
        n = pairs.num_frames
        person = self.node_gru(frame_mean(enc.subject, pairs.frame_index, n))
        objects = self.node_gru(enc.object)
        edges = self.edge_gru(enc.union)
        for _ in range(self.iterations):
            to_person, to_object, to_edge = self.messages(person, objects, edges, pairs.frame_index)
            person = self.node_gru(to_person, person)
            objects = self.node_gru(to_object, objects)
            edges = self.edge_gru(to_edge, edges)
        return RelationLogits.from_flat(self.scores(edges))

    def extra_repr(self) -> str:
        return f"iterations={self.iterations}"
