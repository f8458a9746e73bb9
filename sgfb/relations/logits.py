"""Predicate scores of person-object pairs, one tensor per relationship group.

Every predicate head (:class:`~sgfb.relations.head.RelationHead`,
:class:`~sgfb.relations.frequency.FrequencyPrior`) returns :class:`RelationLogits`, so the
predictor and the losses never need to know which head produced them.

Action Genome annotates, per person-object pair, exactly one attention relationship and any
number of spatial and contacting ones (Action Genome paper §3), so attention is a softmax
over its 3 classes while spatial (6) and contacting (17) are independent sigmoids.
The 26 columns follow :data:`sgfb.structures.vocab.AG_RELATIONSHIPS` (attention 0-2, spatial 3-8,
contacting 9-25; :data:`sgfb.structures.vocab.GROUP_SLICES`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from sgfb.structures.vocab import GROUP_SLICES, NUM_RELATIONSHIPS


@dataclass
class RelationLogits:
    """Unnormalised scores of ``P`` pairs.

    attention: ``[P, 3]`` (softmax); spatial: ``[P, 6]`` (sigmoid);
    contacting: ``[P, 17]`` (sigmoid).
    """

    attention: torch.Tensor
    spatial: torch.Tensor
    contacting: torch.Tensor

    @classmethod
    def from_flat(cls, scores: torch.Tensor) -> "RelationLogits":
        """Split ``[P, 26]`` scores into the three groups."""
        if scores.dim() != 2 or scores.shape[1] != NUM_RELATIONSHIPS:
            raise ValueError(f"expected [P, {NUM_RELATIONSHIPS}] scores, got {tuple(scores.shape)}")
        return cls(
            attention=scores[:, GROUP_SLICES["attention"]],
            spatial=scores[:, GROUP_SLICES["spatial"]],
            contacting=scores[:, GROUP_SLICES["contacting"]],
        )

    def __len__(self) -> int:
        return int(self.attention.shape[0])

    def flat(self) -> torch.Tensor:
        """``[P, 26]`` logits in vocabulary order."""
        return torch.cat([self.attention, self.spatial, self.contacting], dim=1)

    def probabilities(self) -> torch.Tensor:
        """``[P, 26]`` scores ``s_r`` in [0, 1]: softmax over attention, sigmoid elsewhere."""
        return torch.cat([
            torch.softmax(self.attention, dim=1),
            torch.sigmoid(self.spatial),
            torch.sigmoid(self.contacting),
        ], dim=1)
