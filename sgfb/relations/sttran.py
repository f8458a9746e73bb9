"""A spatio-temporal predicate head in the manner of STTran (beyond AG's Table 5, whose caption
asks for models that use the video).

Cong et al., "Spatial-Temporal Transformer for Dynamic Scene Graph Generation", ICCV 2021,
§3: each (person, object) pair of a frame is represented by its subject and object appearance,
its union-box feature (with the two boxes' spatial masks) and the classes' word embeddings; a
*spatial encoder* (transformer layers) lets the pairs of one frame attend to each other; a
*temporal decoder* slides a window over the sequence of frames and lets every pair attend to
the pairs of the frames in the window, with learnt frame encodings; predicates are classified
from the decoder's output.

Adapted to sgfb:

- pair representation: person, object and union appearance from the shared detector
  (:class:`~sgfb.relations.encoder.PairEncoder`), the 28-d box geometry through an MLP (in
  place of STTran's convolved box masks) and a learnt embedding of the object class (in place
  of GloVe vectors; the subject is always the person), projected to ``hidden_dim``;
- spatial encoder: ``layers`` transformer layers, attention restricted to the pairs of the
  same frame;
- temporal decoder: ``layers`` transformer layers where a pair attends to every pair of the
  frames at most ``window`` annotated frames away in the same video (a sliding window centred
  on the pair's frame; frames ordered by ``pairs.frame_time``), with a learnt attention bias
  per head and frame offset (in place of absolute frame encodings within a window). Frames
  are those of the batch, so the window sees the neighbouring frames the caller batches
  together: training batches are clips of consecutive annotated frames and evaluation
  batches whole videos (:mod:`sgfb.training.sg`);
- the transformer layers are pre-norm by default (``relations.norm_first``; STTran's are
  post-norm): on the synthetic Table 5 schedule (200 iterations at lr 1e-3, 10 warm-up) the
  post-norm head trained unstably (one seed's training loss rose back to its starting level
  after 130 iterations; docs/results.md, Table 5);
- outputs are AG's three predicate groups; object classes come from the detector;
- with ``frequency_init`` (``relations.use_frequency``, on by default) the RelDN-style head's
  learnable frequency bias is added to the scores, so the head starts equal to the frequency
  prior like the RelDN-style head and differs from it only in the pair encoder and the
  spatial and temporal attention (STTran itself has no frequency term).

A batch of unrelated frames (``frame_video`` None) reduces the decoder to a second spatial
encoder, so the head also runs on single frames.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from sgfb.detection.features import ImageFeatures
from sgfb.relations.encoder import PairEncoder, mlp, zero_linear
from sgfb.relations.frequency import NUM_OBJECTS, NUM_RELATIONSHIPS
from sgfb.relations.geometry import GEOMETRY_DIM
from sgfb.relations.logits import RelationLogits
from sgfb.relations.pairs import RelationPairs


class MaskedAttentionLayer(nn.Module):
    """A transformer layer (self-attention + feed-forward) over ``P`` tokens with an additive
    attention bias ``[heads, P, P]`` (``-inf`` = masked). ``norm_first``: pre-norm
    (``x + f(LayerNorm(x))``, Xiong et al. 2020, "On Layer Normalization in the Transformer
    Architecture": stable without a long warm-up) instead of the original post-norm
    (``LayerNorm(x + f(x))``, STTran's ``nn.TransformerEncoderLayer`` default)."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.1, norm_first: bool = True) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"hidden_dim {dim} is not divisible by attention_heads {heads}")
        self.heads, self.norm_first = heads, bool(norm_first)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Dropout(dropout),
                                nn.Linear(2 * dim, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def attend(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        p, d = x.shape
        q, k, v = self.qkv(x).reshape(p, 3, self.heads, d // self.heads).permute(1, 2, 0, 3)
        attention = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d // self.heads) + bias, -1)
        return self.dropout(self.out((attention @ v).permute(1, 0, 2).reshape(p, d)))

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        if self.norm_first:
            x = x + self.attend(self.norm1(x), bias)
            return x + self.dropout(self.ff(self.norm2(x)))
        x = self.norm1(x + self.attend(x, bias))
        return self.norm2(x + self.dropout(self.ff(x)))


def frame_ranks(pairs: RelationPairs) -> torch.Tensor:
    """``[F]`` position of each frame among the batch's frames of its video, in time order
    (ties by batch order); 0 for every frame when ``frame_video`` is None."""
    n = pairs.num_frames
    device = pairs.frame_index.device
    if pairs.frame_video is None:
        return torch.zeros(n, dtype=torch.long, device=device)
    video = pairs.frame_video.to(device)
    time = pairs.frame_time.to(device) if pairs.frame_time is not None else \
        torch.arange(n, device=device)
    index = torch.arange(n, device=device)
    earlier = (time[None, :] < time[:, None]) | ((time[None, :] == time[:, None])
                                                 & (index[None, :] < index[:, None]))
    return ((video[None, :] == video[:, None]) & earlier).sum(1)


def window_offsets(pairs: RelationPairs, window: int):
    """``(offset [P, P] long, allowed [P, P] bool)``: frame offset of pair j's frame from pair
    i's, and whether j lies in i's temporal window (same video, ``|offset| <= window``)."""
    rank = frame_ranks(pairs)[pairs.frame_index]
    offset = rank[None, :] - rank[:, None]
    if pairs.frame_video is None:
        same = pairs.frame_index[None, :] == pairs.frame_index[:, None]
    else:
        video = pairs.frame_video.to(pairs.frame_index.device)[pairs.frame_index]
        same = video[None, :] == video[:, None]
    return offset, same & (offset.abs() <= window)


class STTranHead(nn.Module):
    """Spatial encoder over a frame's pairs + temporal decoder over a window of frames
    (module docstring). ``temporal = True`` tells the pipelines to batch by clip or video."""

    temporal = True

    def __init__(self, in_channels: int, hidden_dim: int = 512, window: int = 2,
                 attention_heads: int = 4, layers: int = 1, pool_size: int = 7,
                 sampling_ratio: int = 2, featmap_names: Sequence[str] = ("0", "1", "2", "3"),
                 min_box_size: float = 1.0, dropout: float = 0.1,
                 frequency_init: Optional[torch.Tensor] = None, norm_first: bool = True) -> None:
        super().__init__()
        if window < 0 or layers < 1:
            raise ValueError(f"STTran needs window >= 0 and layers >= 1, got {window}, {layers}")
        self.window = int(window)
        self.encoder = PairEncoder(in_channels, hidden_dim, pool_size, sampling_ratio,
                                   featmap_names, min_box_size)
        small = max(hidden_dim // 4, 8)
        self.geometry_mlp = mlp([GEOMETRY_DIM, small, small])
        self.class_embedding = nn.Embedding(NUM_OBJECTS, small)
        self.project = nn.Linear(3 * hidden_dim + 2 * small, hidden_dim)
        self.spatial = nn.ModuleList(MaskedAttentionLayer(hidden_dim, attention_heads, dropout, norm_first)
                                     for _ in range(layers))
        self.temporal_layers = nn.ModuleList(
            MaskedAttentionLayer(hidden_dim, attention_heads, dropout, norm_first) for _ in range(layers))
        self.offset_bias = nn.Embedding(2 * self.window + 1, attention_heads)
        nn.init.zeros_(self.offset_bias.weight)
        self.heads = attention_heads
        self.scores = zero_linear(hidden_dim, NUM_RELATIONSHIPS)
        self.frequency = None
        if frequency_init is not None:
            self.frequency = nn.Embedding(NUM_OBJECTS, NUM_RELATIONSHIPS)
            with torch.no_grad():
                self.frequency.weight.copy_(torch.as_tensor(frequency_init, dtype=torch.float32))

    def pair_tokens(self, features: ImageFeatures, pairs: RelationPairs) -> torch.Tensor:
        """``[P, hidden_dim]`` pair representations before attention."""
        enc = self.encoder(features, pairs)
        labels = pairs.object_labels.long().clamp(0, NUM_OBJECTS - 1)
        return F.relu(self.project(torch.cat([enc.subject, enc.object, enc.union,
                                              self.geometry_mlp(enc.geometry),
                                              self.class_embedding(labels)], 1)))

    def forward(self, features: ImageFeatures, pairs: RelationPairs) -> RelationLogits:
        x = self.pair_tokens(features, pairs)
        p = x.shape[0]
        neg = torch.tensor(-torch.inf, device=x.device, dtype=x.dtype)
        same_frame = pairs.frame_index[None, :] == pairs.frame_index[:, None]
        spatial_bias = torch.where(same_frame, torch.zeros((), device=x.device, dtype=x.dtype),
                                   neg).expand(self.heads, p, p)
        for layer in self.spatial:
            x = layer(x, spatial_bias)
        offset, allowed = window_offsets(pairs, self.window)
        learnt = self.offset_bias(offset.clamp(-self.window, self.window) + self.window)  # [P, P, H]
        temporal_bias = torch.where(allowed[None], learnt.permute(2, 0, 1), neg)
        for layer in self.temporal_layers:
            x = layer(x, temporal_bias)
        scores = self.scores(x)
        if self.frequency is not None:
            scores = scores + self.frequency(pairs.object_labels.long().clamp(0, NUM_OBJECTS - 1))
        return RelationLogits.from_flat(scores)

    def extra_repr(self) -> str:
        return f"window={self.window}, heads={self.heads}"
