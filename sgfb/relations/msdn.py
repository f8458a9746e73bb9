"""Multi-level scene description network (MSDN), adapted to Action Genome (AG paper §5.3,
Table 5 "MSDN").

Li et al., "Scene Graph Generation from Objects, Phrases and Region Captions", ICCV 2017,
§3.3: features at three semantic levels (objects, phrases = subject-predicate-object regions,
captioned regions) are refined jointly by passing messages along the graph that links each
phrase to its subject and object (and to the regions covering it). Messages from a set of
neighbours are averaged through element-wise gates, and each feature is refined by a residual
update::

    object i:  x_i ← x_i + F_o( mean_{p: i subj of p} G_s(x_i, x_p) ⊙ x_p
                                + mean_{p: i obj of p} G_o(x_i, x_p) ⊙ x_p )
    phrase p:  x_p ← x_p + F_p( G_ps(x_p, x_s) ⊙ x_s + G_po(x_p, x_o) ⊙ x_o )

with ``G(a, b) = σ(W [a, b])`` (a gate per channel) and ``F`` a linear layer with ReLU.
Predicates are classified from the refined phrase feature.

Adapted to AG: the region-caption level is dropped (AG has no captions); phrases are the
person-object pairs of a frame (the person is the subject of every phrase, each object the
object of one), phrase features come from the union box; outputs are AG's three predicate
groups; object classes come from the detector (object features are refined but not
re-classified). ``iterations`` (2 by default, as in the paper) rounds of refinement.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from sgfb.detection.features import ImageFeatures
from sgfb.relations.encoder import PairEncoder, frame_mean, zero_linear
from sgfb.relations.frequency import NUM_RELATIONSHIPS
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs


class _Gate(nn.Module):
    """``σ(W [a, b]) ⊙ b``: an element-wise gated message from ``b`` to ``a``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(2 * dim, dim)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.linear(torch.cat([a, b], 1))) * b


class MSDNHead(nn.Module):
    """Object and phrase features refined by gated message passing (module docstring)."""

    def __init__(self, in_channels: int, hidden_dim: int = 512, iterations: int = 2,
                 pool_size: int = 7, sampling_ratio: int = 2,
                 featmap_names: Sequence[str] = ("0", "1", "2", "3")) -> None:
        super().__init__()
        if iterations < 1:
            raise ValueError(f"MSDN needs at least one refinement iteration, got {iterations}")
        self.iterations = int(iterations)
        self.encoder = PairEncoder(in_channels, hidden_dim, pool_size, sampling_ratio, featmap_names)
        self.subject_from_phrase = _Gate(hidden_dim)
        self.object_from_phrase = _Gate(hidden_dim)
        self.phrase_from_subject = _Gate(hidden_dim)
        self.phrase_from_object = _Gate(hidden_dim)
        self.refine_object = nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.ReLU())
        self.refine_phrase = nn.Sequential(nn.Linear(hidden_dim, hidden_dim), nn.ReLU())
        self.scores = zero_linear(hidden_dim, NUM_RELATIONSHIPS)

    def refine(self, person: torch.Tensor, objects: torch.Tensor, phrases: torch.Tensor,
               frame_index: torch.Tensor):
        """One round: refined ``(person [F, D], objects [P, D], phrases [P, D])``; every update
        reads the features of the previous round."""
        subject = person[frame_index]
        to_person = frame_mean(self.subject_from_phrase(subject, phrases), frame_index,
                               person.shape[0])
        to_object = self.object_from_phrase(objects, phrases)
        to_phrase = self.phrase_from_subject(phrases, subject) + self.phrase_from_object(phrases, objects)
        return (person + self.refine_object(to_person), objects + self.refine_object(to_object),
                phrases + self.refine_phrase(to_phrase))

    def forward(self, features: ImageFeatures, pairs: RelationPairs) -> RelationLogits:
        enc = self.encoder(features, pairs)
        person = frame_mean(enc.subject, pairs.frame_index, pairs.num_frames)
        objects, phrases = enc.object, enc.union
        for _ in range(self.iterations):
            person, objects, phrases = self.refine(person, objects, phrases, pairs.frame_index)
        return RelationLogits.from_flat(self.scores(phrases))

    def extra_repr(self) -> str:
        return f"iterations={self.iterations}"
