"""The graph convolutions of ST-SGN (paper §3.4), in PyTorch Geometric's style.

GINE is exactly PyG's :class:`~torch_geometric.nn.GINEConv` (learnable epsilon) and is built
from it. The CGConv and NNConv variants differ from PyG's layers of those names and are
written here:

- :class:`CenterlessCGConv`:
  ``x'_i = x_i + sum_j sigmoid(z_ij W_f + b_f) * softplus(z_ij W_s + b_s)``,
  ``z_ij = [x_j, e_ji]`` (PyG's CGConv also concatenates the centre node ``x_i``);
- :class:`ElementwiseNNConv`:
  ``x'_i = x_i + sum_j x_j * h_theta(e_ji)`` with ``h_theta`` a one-layer MLP and ``*`` the
  element-wise product (PyG's NNConv multiplies by a generated matrix and transforms ``x_i``).

All take node features ``[n, D]``, ``edge_index`` ``[2, E]`` (source, target) and edge features
``[E, D]``, and return ``[n, D]``; like PyG's layers they also take a (source, target) pair
of feature tensors with ``size`` and then return the target nodes' features only.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn
from torch_geometric.nn import GINEConv, MessagePassing
from torch_geometric.typing import PairTensor


class _ResidualEdgeConv(MessagePassing):
    """``x'_i = x_i + sum_j message(x_j, e_ji)``: what the two convolutions below share."""

    def __init__(self, channels: int, edge_dim: int) -> None:
        super().__init__(aggr="add")
        self.channels, self.edge_dim = channels, edge_dim

    def forward(self, x: Tensor | PairTensor, edge_index: torch.Tensor,
                edge_attr: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        pair = x if isinstance(x, tuple) else (x, x)
        return pair[1] + self.propagate(edge_index, x=pair, edge_attr=edge_attr, size=size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels}, edge_dim={self.edge_dim})"


class CenterlessCGConv(_ResidualEdgeConv):
    r"""Crystal-graph convolution without the centre node (ST-SGN §3.4).

    .. math::
        \mathbf{x}'_i = \mathbf{x}_i + \sum_{j \in \mathcal{N}(i)}
        \sigma(\mathbf{z}_{ij} \mathbf{W}_f + \mathbf{b}_f) \odot
        g(\mathbf{z}_{ij} \mathbf{W}_s + \mathbf{b}_s), \quad
        \mathbf{z}_{ij} = [\mathbf{x}_j, \mathbf{e}_{ji}]
    """

    def __init__(self, channels: int, edge_dim: int) -> None:
        super().__init__(channels, edge_dim)
        self.lin_f = nn.Linear(channels + edge_dim, channels)
        self.lin_s = nn.Linear(channels + edge_dim, channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin_f.reset_parameters()
        self.lin_s.reset_parameters()

    def message(self, x_j: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        z = torch.cat([x_j, edge_attr], dim=-1)
        return torch.sigmoid(self.lin_f(z)) * F.softplus(self.lin_s(z))


class ElementwiseNNConv(_ResidualEdgeConv):
    r"""Neural message passing with an element-wise edge network (ST-SGN §3.4).

    .. math::
        \mathbf{x}'_i = \mathbf{x}_i + \sum_{j \in \mathcal{N}(i)}
        \mathbf{x}_j \odot h_{\mathbf{\Theta}}(\mathbf{e}_{ji})
    """

    def __init__(self, channels: int, edge_dim: int) -> None:
        super().__init__(channels, edge_dim)
        self.edge_net = nn.Linear(edge_dim, channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.edge_net.reset_parameters()

    def message(self, x_j: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        return x_j * self.edge_net(edge_attr)


def make_gine(channels: int, mlp_layers: int = 1) -> GINEConv:
    r"""``x'_i = h_theta((1 + eps) x_i + sum_j ReLU(x_j + e_ji))`` with ``eps`` learnable:
    PyG's GINEConv is this equation. ``h_theta`` is linear (``mlp_layers=1``, our reading of
    the paper) or an MLP of ``mlp_layers`` linear layers with ReLU between them (GIN's)."""
    if mlp_layers < 1:
        raise ValueError(f"the GINE MLP needs at least one layer, got {mlp_layers}")
    layers = [nn.Linear(channels, channels)]
    for _ in range(mlp_layers - 1):
        layers += [nn.ReLU(), nn.Linear(channels, channels)]
    return GINEConv(layers[0] if mlp_layers == 1 else nn.Sequential(*layers), train_eps=True)


CONVOLUTIONS = {
    "gine": lambda channels, gine_mlp_layers=1: make_gine(channels, gine_mlp_layers),
    "cg": lambda channels, **_: CenterlessCGConv(channels, channels),
    "nn": lambda channels, **_: ElementwiseNNConv(channels, channels),
}
