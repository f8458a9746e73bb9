"""ST-SGN: frame encoder -> temporal reducer -> classification head (ST-SGN §3.3-§3.6).

Models are named like the paper's tables: ``{gine|cg|nn}-{person|mean|max}-{reducer}`` or
``relmat-{reducer}``, reducer in ``max``, ``mean``, ``gru``, ``bigru``; e.g.
``gine-person-bigru``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Dict, List, Tuple

import torch
from torch import nn

from sgfb.structures.vocab import PAPER_RELATIONSHIPS
from sgfb.stsgn.encoders import READOUTS, GraphEncoder, RelMatEncoder
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.layers import CONVOLUTIONS
from sgfb.stsgn.reducers import REDUCERS, build_reducer


@dataclass
class ModelConfig:
    name: str = "gine-person-bigru"
    num_classes: int = 157
    hidden: int = 512                 # |H|, the sequence embedding size
    channels: int | None = 256        # node/edge feature size; None = |O|·|R| (900, paper)
    num_layers: int = 1
    dropout: float = 0.5              # before the classifier (paper)
    # Beyond the paper (issue #15; configs/stsgn/paper.yaml turns them off):
    edge_dropout: float = 0.1         # drop entries of the edge vectors e* (RelMat: of the matrix)
    node_dropout: float = 0.1         # drop whole objects with their edge (RelMat: matrix rows)
    norm: str = "layer"               # none | layer: LayerNorm on each frame embedding
    embed_dropout: float = 0.0        # dropout on the frame embeddings, before the reducer
    node_init_std: float | None = 0.1   # std of the initial E_node; None: N(0, 1) (paper, PyTorch)
    gine_mlp_layers: int = 1          # GINE's h_theta: 1 = linear (paper), 2+ = MLP (GIN's)
    relationships: List[int] = field(default_factory=lambda: list(PAPER_RELATIONSHIPS))

    def parts(self) -> Tuple[str, str | None, str]:
        """``(encoder, readout, reducer)``; readout is None for RelMat."""
        bits = self.name.lower().split("-")
        if len(bits) == 2 and bits[0] == "relmat" and bits[1] in REDUCERS:
            return "relmat", None, bits[1]
        if len(bits) == 3 and bits[0] in CONVOLUTIONS and bits[1] in READOUTS and bits[2] in REDUCERS:
            return bits[0], bits[1], bits[2]
        raise ValueError(f"unknown model {self.name!r}: use '{{{'|'.join(CONVOLUTIONS)}}}-"
                         f"{{{'|'.join(READOUTS)}}}-{{{'|'.join(REDUCERS)}}}' or "
                         f"'relmat-{{{'|'.join(REDUCERS)}}}'")


def model_names() -> List[str]:
    """Every model of the paper's grid: 3 encoders x 3 readouts x 4 reducers, plus RelMat."""
    names = [f"{c}-{r}-{t}" for c in ("gine", "cg", "nn") for r in READOUTS for t in REDUCERS]
    return names + [f"relmat-{t}" for t in REDUCERS]


def build_encoder(config: ModelConfig) -> nn.Module:
    """The frame encoder ``config.name`` names (a graph encoder or RelMat), initialised as
    the config says."""
    encoder, readout, _ = config.parts()
    num_rel = len(config.relationships)
    drops = dict(edge_dropout=config.edge_dropout, node_dropout=config.node_dropout)
    if encoder == "relmat":
        return RelMatEncoder(num_rel, config.channels, **drops)
    module = GraphEncoder(encoder, readout, num_rel, config.channels, config.num_layers, **drops,
                          gine_mlp_layers=config.gine_mlp_layers)
    if config.node_init_std is not None:
        # N(0, 1) rows drown the edge features e = W_edge e* (entries ~0.1) in
        # ReLU(x_j + e_ji): the relationships barely reach the messages at the start
        nn.init.normal_(module.node_embedding.weight, std=config.node_init_std)
    return module


def build_stsgn(config: ModelConfig) -> "STSGN":
    """The model ``config`` describes: its encoder and temporal reducer built here, handed to
    :class:`STSGN` (which keeps ``config`` as the record its checkpoints carry)."""
    if config.norm not in ("none", "layer"):
        raise ValueError(f"model.norm must be 'none' or 'layer', got {config.norm!r}")
    encoder = build_encoder(config)
    reducer = build_reducer(config.parts()[2], encoder.out_channels, config.hidden)
    return STSGN(encoder, reducer, config)


class STSGN(nn.Module):
    """Scores a batch of frame sequences: ``forward(frames, lengths, graphs) -> [S, A]`` logits.

    ``frames``: ``[sum(lengths)]`` frame indices into ``graphs``, sequence after sequence, each
    in time order; ``lengths``: ``[S]`` frames per sequence (>= 1). ``encoder`` (frame graphs
    -> ``[B, D]``, with ``out_channels`` = D) and ``reducer`` (``[sum T, D]`` + lengths ->
    ``[S, hidden]``) come built (:func:`build_stsgn`); ``config`` gives the rest (norm,
    dropouts, classes) and is what checkpoints store to rebuild the model.
    """

    def __init__(self, encoder: nn.Module, reducer: nn.Module, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        out = encoder.out_channels
        self.frame_norm = nn.LayerNorm(out) if config.norm == "layer" else nn.Identity()
        self.embed_dropout = nn.Dropout(config.embed_dropout)
        self.reducer = reducer
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden, config.num_classes)

    @property
    def num_classes(self) -> int:
        return self.classifier.out_features

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor,
                graphs: FrameGraphs) -> torch.Tensor:
        embeddings = self.embed_dropout(self.frame_norm(self.encoder(frames, graphs)))  # [sum T, D]
        sequences = self.reducer(embeddings, lengths.to(torch.long))    # [S, H]
        return self.classifier(self.dropout(sequences))

    def export_config(self) -> Dict:
        return asdict(self.config)
