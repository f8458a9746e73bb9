"""The RelDN-style predicate head, adapted to Action Genome (Action Genome paper §4.1, §5.3).

RelDN (Zhang et al., "Graphical Contrastive Losses for Scene Graph Parsing", CVPR 2019, §3)
scores each predicate of a (subject, object) pair as the sum of a visual score (appearance of
subject, object and their union box), a spatial score (box geometry) and a semantic score
(the frequency of the predicate given the classes). In Action Genome the subject is always the
frame's person, so the semantic score depends on the object class only.

Branches, each giving ``[P, 26]`` scores that are summed (each can be switched off):

- visual: ``MultiScaleRoIAlign`` over the FPN levels of the subject, object and union boxes
  (mapped to the resized frame with :meth:`ImageFeatures.to_resized`), each
  ``[P, C, k, k]`` flattened through its own two-layer MLP (``C·k² -> hidden -> hidden``),
  concatenated ``[P, 3·hidden]`` and projected to 26 scores;
- geometry: the 28-d :func:`~sgfb.relations.geometry.pair_geometry` through an MLP
  (``28 -> g -> g -> 26``);
- frequency: ``nn.Embedding(36, 26)`` indexed by the object class, initialised from
  :func:`~sgfb.relations.frequency.log_frequency_init` and trained with the rest.

The last layer of the visual and geometry branches starts at zero, so an untrained head
equals the frequency prior. Output: :class:`~sgfb.relations.logits.RelationLogits`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import torch
from torch import nn
from torchvision.ops import MultiScaleRoIAlign

from sgfb.detection.features import ImageFeatures
from sgfb.relations.encoder import geometry_of, mlp, pool_pair_boxes, zero_linear
from sgfb.relations.geometry import GEOMETRY_DIM, union_boxes
from sgfb.structures.vocab import NUM_OBJECTS, NUM_RELATIONSHIPS
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs


_mlp, _zero_linear = mlp, zero_linear   # older names


class RelationHead(nn.Module):
    """RelDN-style predicate head: visual + geometry + frequency scores, summed.

    Args:
        in_channels: channels ``C`` of the feature maps (256 for torchvision's FPN).
        hidden_dim: width of the subject/object/union MLPs.
        geometry_hidden: width of the geometry MLP.
        pool_size: RoIAlign output size ``k``.
        sampling_ratio: RoIAlign sampling ratio.
        featmap_names: feature levels to pool from, finest first (not ``"pool"``).
        use_visual, use_geometry, use_frequency: branch switches (at least one on).
        frequency_init: ``[36, 26]`` initial frequency bias (zeros when None).
        min_box_size: floor on box sides in :func:`pair_geometry`, pixels.
    """

    def __init__(self, in_channels: int, hidden_dim: int = 1024, geometry_hidden: int = 128,
                 pool_size: int = 7, sampling_ratio: int = 2,
                 featmap_names: Sequence[str] = ("0", "1", "2", "3"),
                 use_visual: bool = True, use_geometry: bool = True, use_frequency: bool = True,
                 frequency_init: Optional[torch.Tensor] = None, min_box_size: float = 1.0) -> None:
        super().__init__()
        if not (use_visual or use_geometry or use_frequency):
            raise ValueError("RelationHead needs at least one of the visual, geometry and "
                             "frequency branches")
        self.use_visual, self.use_geometry, self.use_frequency = use_visual, use_geometry, use_frequency
        self.min_box_size = float(min_box_size)
        if use_visual:
            self.pooler = MultiScaleRoIAlign(list(featmap_names), pool_size, sampling_ratio)
            flat = in_channels * pool_size * pool_size
            self.subject_mlp = _mlp([flat, hidden_dim, hidden_dim])
            self.object_mlp = _mlp([flat, hidden_dim, hidden_dim])
            self.union_mlp = _mlp([flat, hidden_dim, hidden_dim])
            self.visual_scores = _zero_linear(3 * hidden_dim, NUM_RELATIONSHIPS)
        if use_geometry:
            self.geometry_mlp = _mlp([GEOMETRY_DIM, geometry_hidden, geometry_hidden])
            self.geometry_scores = _zero_linear(geometry_hidden, NUM_RELATIONSHIPS)
        if use_frequency:
            self.frequency = nn.Embedding(NUM_OBJECTS, NUM_RELATIONSHIPS)
            nn.init.zeros_(self.frequency.weight)
            if frequency_init is not None:
                with torch.no_grad():
                    self.frequency.weight.copy_(torch.as_tensor(frequency_init, dtype=torch.float32))

    # ------------------------------------------------------------------ branches
    def _pool(self, features: ImageFeatures, pairs: RelationPairs, boxes: torch.Tensor) -> torch.Tensor:
        """``[P, B, C, k, k]`` RoIAlign of ``boxes`` ``[P, B, 4]`` (original pixels)."""
        return pool_pair_boxes(self.pooler, features, pairs, boxes)

    def visual(self, features: ImageFeatures, pairs: RelationPairs) -> torch.Tensor:
        """``[P, 26]`` visual scores."""
        s, o = pairs.subject_boxes, pairs.object_boxes
        pooled = self._pool(features, pairs, torch.stack([s, o, union_boxes(s, o)], dim=1))
        flat = pooled.flatten(2)                                   # [P, 3, C*k*k]
        hidden = torch.cat([self.subject_mlp(flat[:, 0]), self.object_mlp(flat[:, 1]),
                            self.union_mlp(flat[:, 2])], dim=1)
        return self.visual_scores(hidden)

    def geometry(self, features: ImageFeatures, pairs: RelationPairs) -> torch.Tensor:
        """``[P, 26]`` geometry scores."""
        geo = geometry_of(features, pairs, self.min_box_size)
        return self.geometry_scores(self.geometry_mlp(geo))

    def forward(self, features: ImageFeatures, pairs: RelationPairs) -> RelationLogits:
        """Scores of ``pairs`` (boxes in original pixels) over the frames of ``features``."""
        if (self.use_visual or self.use_geometry) and len(features) < pairs.num_frames:
            raise ValueError(f"features of {len(features)} frames for pairs of {pairs.num_frames}")
        scores = []
        if self.use_visual:
            scores.append(self.visual(features, pairs))
        if self.use_geometry:
            scores.append(self.geometry(features, pairs))
        if self.use_frequency:
            scores.append(self.frequency(pairs.object_labels.long()))
        return RelationLogits.from_flat(torch.stack(scores).sum(0))

    def extra_repr(self) -> str:
        on = [n for n, f in (("visual", self.use_visual), ("geometry", self.use_geometry),
                             ("frequency", self.use_frequency)) if f]
        return f"branches={'+'.join(on)}"


@dataclass
class RelationHeadConfig:
    """Predicate head settings. ``kind`` names a builder of
    :data:`sgfb.relations.heads.HEAD_BUILDERS` (``"reldn"``, ``"frequency"``, ``"vrd"``,
    ``"imp"``, ``"msdn"``, ``"graph_rcnn"``, ``"sttran"``); each reads the fields it needs.

    ``hidden_dim``: width of the pooled-feature MLPs (and of the message-passing and
    attention states). ``iterations``: message-passing rounds (IMP, MSDN) or aGCN layers
    (Graph R-CNN). ``relation_proposals``: Graph R-CNN's top-K pairs per frame (0 = all).
    ``window``, ``attention_heads``, ``layers``, ``dropout``, ``norm_first``: STTran's temporal
    window (annotated frames on each side), attention heads, layers per encoder/decoder, the
    dropout of its transformer layers and whether they are pre-norm (checkpoints written
    before the option are post-norm: :func:`sgfb.models.scene_graph.load_scene_graph_model`).
    ``marginal_bias``: IMP's predicate scores start at the training marginals instead of 0
    (without it IMP collapses to the marginals under AdamW: :mod:`sgfb.relations.imp`).
    """

    kind: str = "reldn"
    hidden_dim: int = 1024
    geometry_hidden: int = 128
    pool_size: int = 7
    sampling_ratio: int = 2
    featmap_names: List[str] = field(default_factory=lambda: ["0", "1", "2", "3"])
    use_visual: bool = True
    use_geometry: bool = True
    use_frequency: bool = True
    frequency_eps: float = 1.0
    min_box_size: float = 1.0
    iterations: int = 2
    relation_proposals: int = 0
    window: int = 2
    attention_heads: int = 4
    layers: int = 1
    dropout: float = 0.1
    norm_first: bool = True
    marginal_bias: bool = True
