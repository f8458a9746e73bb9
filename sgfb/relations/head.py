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

import numpy as np
import torch
from torch import nn
from torchvision.ops import MultiScaleRoIAlign

from sgfb.detection.features import ImageFeatures
from sgfb.relations.frequency import FrequencyPrior, log_frequency_init
from sgfb.structures.vocab import NUM_OBJECTS, NUM_RELATIONSHIPS
from sgfb.relations.geometry import GEOMETRY_DIM, pair_geometry, union_boxes
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs


def _mlp(dims: Sequence[int]) -> nn.Sequential:
    """Linear layers ``dims[0] -> dims[1] -> ...``, each followed by ReLU."""
    layers: List[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def _zero_linear(in_dim: int, out_dim: int) -> nn.Linear:
    layer = nn.Linear(in_dim, out_dim)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


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
        p, b = boxes.shape[:2]
        per_frame, order = pairs.boxes_per_frame(boxes.reshape(p, b * 4))
        per_frame = [x.reshape(-1, 4) for x in per_frame]
        per_frame += [boxes.new_zeros(0, 4)] * (len(features) - len(per_frame))
        pooled = self.pooler(features.maps, features.to_resized(per_frame), list(features.image_sizes))
        pooled = pooled.reshape(p, b, *pooled.shape[1:])    # pairs in frame order
        return pooled[torch.argsort(order)]

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
        hw = torch.tensor(features.original_sizes, dtype=torch.float32,
                          device=pairs.subject_boxes.device).reshape(-1, 2)
        sizes = hw.flip(1)[pairs.frame_index]                     # [P, 2] (width, height)
        geo = pair_geometry(pairs.subject_boxes, pairs.object_boxes, sizes, self.min_box_size)
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
    """Predicate head settings. ``kind``: ``"reldn"`` (:class:`RelationHead`) or
    ``"frequency"`` (:class:`~sgfb.relations.frequency.FrequencyPrior`)."""

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


HEAD_KINDS = ("reldn", "frequency")


def build_relation_head(cfg: RelationHeadConfig, in_channels: int,
                        frequency_counts: Optional[np.ndarray] = None,
                        pair_counts: Optional[np.ndarray] = None) -> nn.Module:
    """A predicate head from its config.

    ``frequency_counts`` ``[36, 26]`` / ``pair_counts`` ``[36]``: training statistics from
    :func:`~sgfb.relations.frequency.count_relationships`; they initialise the frequency bias
    (``"reldn"``, zeros when absent) or define the prior (``"frequency"``, required).
    """
    init = None
    if frequency_counts is not None:
        init = torch.from_numpy(log_frequency_init(frequency_counts, cfg.frequency_eps, pair_counts))
    if cfg.kind == "frequency":
        if init is None:
            raise ValueError("the frequency prior head needs training-set frequency counts")
        return FrequencyPrior(init)
    if cfg.kind != "reldn":
        raise ValueError(f"unknown relation head kind {cfg.kind!r}; choose from {HEAD_KINDS}")
    return RelationHead(
        in_channels=in_channels, hidden_dim=cfg.hidden_dim, geometry_hidden=cfg.geometry_hidden,
        pool_size=cfg.pool_size, sampling_ratio=cfg.sampling_ratio,
        featmap_names=tuple(cfg.featmap_names), use_visual=cfg.use_visual,
        use_geometry=cfg.use_geometry, use_frequency=cfg.use_frequency,
        frequency_init=init, min_box_size=cfg.min_box_size,
    )
