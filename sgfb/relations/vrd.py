"""VRD's visual module, adapted to Action Genome (Action Genome paper §5.3, Table 5 "VRD").

Lu et al., "Visual Relationship Detection with Language Priors", ECCV 2016, §3.1: the visual
appearance module scores the predicates of an (subject, object) pair from CNN features of
the pair's boxes. Here, as in the AG paper's benchmark, only the visual module is used (no
language prior, no word2vec ranking loss); adapted to AG:

- appearance of the person (subject), the object and their union box, each pooled from the
  shared detector's FPN maps and passed through its own two-layer MLP
  (:class:`~sgfb.relations.head.RelationHead`'s visual branch), concatenated and projected to
  the 26 predicates;
- the predicates are AG's three groups (softmax over attention, sigmoids over spatial and
  contacting, :mod:`sgfb.relations.losses`) instead of one softmax over 70 predicates;
- object classes come from the detector (VRD's object scores are not re-estimated).

It is the RelDN-style head with its geometry and frequency branches switched off.
"""
from __future__ import annotations

from typing import Sequence

from sgfb.relations.head import RelationHead


class VRDHead(RelationHead):
    """Visual-only predicate head (module docstring); ``forward(features, pairs)``."""

    def __init__(self, in_channels: int, hidden_dim: int = 1024, pool_size: int = 7,
                 sampling_ratio: int = 2, featmap_names: Sequence[str] = ("0", "1", "2", "3")) -> None:
        super().__init__(in_channels, hidden_dim=hidden_dim, pool_size=pool_size,
                         sampling_ratio=sampling_ratio, featmap_names=featmap_names,
                         use_visual=True, use_geometry=False, use_frequency=False)
