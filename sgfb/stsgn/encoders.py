"""Per-frame encoders: ST-SGN graph encoders and the RelMat baseline (ST-SGN §3.4).

An encoder maps a batch of frames (indices into a :class:`FrameGraphs`) to ``[B, D]``
frame embeddings ``e_graph``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import global_max_pool, global_mean_pool

from sgfb.stsgn.graphs import NUM_NODE_TYPES, FrameGraphs
from sgfb.stsgn.layers import CONVOLUTIONS

READOUTS = ("person", "mean", "max")


class GraphEncoder(nn.Module):
    """Node embedding table ``E_node`` (|O| x D), edge features ``e = W_edge e* + b_edge``,
    ``num_layers`` graph convolutions (ReLU between them; GINE's ``h_theta`` has
    ``gine_mlp_layers`` linear layers), then a readout: the person node's
    state (PERSON), or mean / max over all nodes. D defaults to |O|·|R| as in the paper."""

    def __init__(self, conv: str, readout: str, num_relationships: int,
                 channels: int | None = None, num_layers: int = 1,
                 edge_dropout: float = 0.0, node_dropout: float = 0.0,
                 gine_mlp_layers: int = 1) -> None:
        super().__init__()
        self.edge_dropout, self.node_dropout = edge_dropout, node_dropout
        if conv not in CONVOLUTIONS:
            raise ValueError(f"unknown graph convolution {conv!r}; choose from {sorted(CONVOLUTIONS)}")
        if readout not in READOUTS:
            raise ValueError(f"unknown readout {readout!r}; choose from {READOUTS}")
        if num_layers < 1:
            raise ValueError("num_layers must be at least 1")
        self.channels = channels or NUM_NODE_TYPES * num_relationships
        self.readout = readout
        self.node_embedding = nn.Embedding(NUM_NODE_TYPES, self.channels)
        self.edge_encoder = nn.Linear(num_relationships, self.channels)
        self.convs = nn.ModuleList(CONVOLUTIONS[conv](self.channels, gine_mlp_layers=gine_mlp_layers)
                                   for _ in range(num_layers))

    @property
    def out_channels(self) -> int:
        return self.channels

    def forward(self, frames: torch.Tensor, graphs: FrameGraphs) -> torch.Tensor:
        batch = graphs.gather(frames.cpu())
        device = self.node_embedding.weight.device
        x = self.node_embedding(batch.node_type.to(device))
        edge_index = batch.edge_index.to(device)
        edge_vector = batch.edge_vector.to(device)
        if self.training and self.node_dropout > 0:   # objects dropped: their edge goes
            keep = torch.rand(edge_vector.shape[0], device=device) >= self.node_dropout
            edge_index, edge_vector = edge_index[:, keep], edge_vector[keep]
        edge_vector = F.dropout(edge_vector, self.edge_dropout, self.training)
        edge_attr = self.edge_encoder(edge_vector)
        person = batch.person.to(device)
        for i, conv in enumerate(self.convs[:-1]):
            x = torch.relu(conv(x, edge_index, edge_attr))
        if self.readout == "person":
            # Only the person's state is read out: update just the person nodes in the last
            # layer (a bipartite call, as PyG layers allow): the same numbers, fewer FLOPs.
            to_graph = torch.stack([edge_index[0], batch.batch.to(device)[edge_index[1]]])
            return self.convs[-1]((x, x[person]), to_graph, edge_attr,
                                  size=(x.shape[0], batch.num_graphs))
        x = self.convs[-1](x, edge_index, edge_attr)
        pool = global_mean_pool if self.readout == "mean" else global_max_pool
        return pool(x, batch.batch.to(device), size=batch.num_graphs)


class RelMatEncoder(nn.Module):
    """The baseline: the flattened relationship matrix (|O|·|R|) of each frame through an
    MLP (Linear, ReLU, Linear), as the Action Genome paper's oracle uses the matrix."""

    def __init__(self, num_relationships: int, channels: int | None = None,
                 edge_dropout: float = 0.0, node_dropout: float = 0.0) -> None:
        super().__init__()
        self.num_relationships = num_relationships
        self.edge_dropout, self.node_dropout = edge_dropout, node_dropout
        in_dim = NUM_NODE_TYPES * num_relationships
        self.channels = channels or in_dim
        self.mlp = nn.Sequential(nn.Linear(in_dim, self.channels), nn.ReLU(),
                                 nn.Linear(self.channels, self.channels))

    @property
    def out_channels(self) -> int:
        return self.channels

    def forward(self, frames: torch.Tensor, graphs: FrameGraphs) -> torch.Tensor:
        matrices = graphs.cached_relationship_matrices()[frames.cpu()]
        matrices = matrices.to(self.mlp[0].weight.device)
        if self.training and self.node_dropout > 0:   # whole object rows of the matrix
            rows = matrices.view(matrices.shape[0], NUM_NODE_TYPES, self.num_relationships)
            keep = torch.rand(rows.shape[:2], device=rows.device) >= self.node_dropout
            matrices = (rows * keep[..., None]).reshape(matrices.shape)
        return self.mlp(F.dropout(matrices, self.edge_dropout, self.training))
