"""What every learned predicate head starts from: pooled appearance of each pair's person,
object and union boxes, the pair's box geometry, and the person-centred graph of a frame.

The interface of a predicate head (:mod:`sgfb.relations.heads`) is
``head(features: ImageFeatures, pairs: RelationPairs) -> RelationLogits``: ``features`` holds
the detector's FPN maps of the batch's frames (:mod:`sgfb.detection.features`), ``pairs`` the
boxes (original pixels) and object classes of every (person, object) pair, the frame of each
pair and, for temporal heads, each frame's video and frame number. In Action Genome a frame has
one subject, the person, so a frame's graph is a star: one person node, one object node per
pair, one edge per pair (a frame without a person has no pairs and so no graph).

Node numbering used by the message-passing heads: person node of frame ``f`` is ``f``
(``0..F-1``; frames without pairs keep an unused node), object node of pair ``p`` is ``F + p``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn
from torchvision.ops import MultiScaleRoIAlign

from sgfb.detection.features import ImageFeatures
from sgfb.relations.geometry import GEOMETRY_DIM, pair_geometry, union_boxes
from sgfb.relations.pairs import RelationPairs


def mlp(dims: Sequence[int]) -> nn.Sequential:
    """Linear layers ``dims[0] -> dims[1] -> ...``, each followed by ReLU."""
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def zero_linear(in_dim: int, out_dim: int) -> nn.Linear:
    """A linear layer starting at zero: an untrained head outputs constant scores."""
    layer = nn.Linear(in_dim, out_dim)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def pool_pair_boxes(pooler: MultiScaleRoIAlign, features: ImageFeatures, pairs: RelationPairs,
                    boxes: torch.Tensor) -> torch.Tensor:
    """``[P, B, C, k, k]`` RoIAlign of ``boxes`` ``[P, B, 4]`` (original pixels of each pair's
    frame), in pair order."""
    p, b = boxes.shape[:2]
    per_frame, order = pairs.boxes_per_frame(boxes.reshape(p, b * 4))
    per_frame = [x.reshape(-1, 4) for x in per_frame]
    per_frame += [boxes.new_zeros(0, 4)] * (len(features) - len(per_frame))
    pooled = pooler(features.maps, features.to_resized(per_frame), list(features.image_sizes))
    pooled = pooled.reshape(p, b, *pooled.shape[1:])    # pairs in frame order
    return pooled[torch.argsort(order)]


def geometry_of(features: ImageFeatures, pairs: RelationPairs, min_box_size: float = 1.0) -> torch.Tensor:
    """``[P, 28]`` :func:`pair_geometry` of the pairs, normalised by their frames' sizes."""
    hw = torch.tensor(features.original_sizes, dtype=torch.float32,
                      device=pairs.subject_boxes.device).reshape(-1, 2)
    sizes = hw.flip(1)[pairs.frame_index]                     # [P, 2] (width, height)
    return pair_geometry(pairs.subject_boxes, pairs.object_boxes, sizes, min_box_size)


@dataclass
class PairFeatures:
    """Per pair ``[P, D]`` appearance of the person, the object and their union box, and the
    ``[P, 28]`` geometry."""

    subject: torch.Tensor
    object: torch.Tensor
    union: torch.Tensor
    geometry: torch.Tensor


class PairEncoder(nn.Module):
    """RoIAlign over the FPN levels of the person, object and union boxes, each
    ``[C, k, k]`` flattened through its own two-layer MLP (``C·k² -> D -> D``)."""

    def __init__(self, in_channels: int, hidden_dim: int, pool_size: int = 7,
                 sampling_ratio: int = 2, featmap_names: Sequence[str] = ("0", "1", "2", "3"),
                 min_box_size: float = 1.0) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.min_box_size = float(min_box_size)
        self.pooler = MultiScaleRoIAlign(list(featmap_names), pool_size, sampling_ratio)
        flat = in_channels * pool_size * pool_size
        self.subject_mlp = mlp([flat, hidden_dim, hidden_dim])
        self.object_mlp = mlp([flat, hidden_dim, hidden_dim])
        self.union_mlp = mlp([flat, hidden_dim, hidden_dim])

    def forward(self, features: ImageFeatures, pairs: RelationPairs) -> PairFeatures:
        if len(features) < pairs.num_frames:
            raise ValueError(f"features of {len(features)} frames for pairs of {pairs.num_frames}")
        s, o = pairs.subject_boxes, pairs.object_boxes
        if len(pairs) == 0:
            empty = s.new_zeros(0, self.hidden_dim)
            return PairFeatures(empty, empty, empty, s.new_zeros(0, GEOMETRY_DIM))
        flat = pool_pair_boxes(self.pooler, features, pairs,
                               torch.stack([s, o, union_boxes(s, o)], dim=1)).flatten(2)
        return PairFeatures(self.subject_mlp(flat[:, 0]), self.object_mlp(flat[:, 1]),
                            self.union_mlp(flat[:, 2]),
                            geometry_of(features, pairs, self.min_box_size))


# ---------------------------------------------------------------------- star graphs
def frame_sum(values: torch.Tensor, frame_index: torch.Tensor, num_frames: int) -> torch.Tensor:
    """``[F, ...]`` sum of per-pair ``values`` ``[P, ...]`` over each frame's pairs."""
    out = values.new_zeros((num_frames,) + tuple(values.shape[1:]))
    return out.index_add(0, frame_index, values)


def frame_mean(values: torch.Tensor, frame_index: torch.Tensor, num_frames: int) -> torch.Tensor:
    """``[F, ...]`` mean of per-pair ``values`` over each frame's pairs (0 without pairs)."""
    counts = torch.bincount(frame_index, minlength=num_frames).clamp(min=1).to(values.dtype)
    return frame_sum(values, frame_index, num_frames) / counts.reshape(-1, *[1] * (values.dim() - 1))


def frame_softmax(scores: torch.Tensor, frame_index: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Softmax of per-pair ``scores`` ``[P]`` over the pairs of each frame."""
    if scores.numel() == 0:
        return scores
    top = scores.new_full((num_frames,), -torch.inf).scatter_reduce(
        0, frame_index, scores, reduce="amax", include_self=True)
    e = torch.exp(scores - top[frame_index])
    return e / frame_sum(e, frame_index, num_frames)[frame_index]
