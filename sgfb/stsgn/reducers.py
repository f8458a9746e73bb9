"""Temporal reducers (ST-SGN §3.5): a padded sequence of frame embeddings -> one vector.

Input ``x`` ``[B, T, D]`` padded, ``lengths`` ``[B]`` (>= 1); output ``[B, H]``. Padded
positions never influence the output.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

REDUCERS = ("max", "mean", "gru", "bigru")


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """``[B, T]`` True at real (non-padded) positions."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class PoolReducer(nn.Module):
    """``e_seq = ReLU(Linear(MeanOrMax(e_graph^(1..t))))``."""

    def __init__(self, mode: str, in_dim: int, hidden: int) -> None:
        super().__init__()
        if mode not in ("max", "mean"):
            raise ValueError(f"pooling mode must be 'max' or 'mean', got {mode!r}")
        self.mode = mode
        self.linear = nn.Linear(in_dim, hidden)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = padding_mask(lengths.to(x.device), x.shape[1])[..., None]
        if self.mode == "max":
            pooled = x.masked_fill(~mask, float("-inf")).amax(dim=1)
        else:
            pooled = (x * mask).sum(dim=1) / lengths.to(x.device)[:, None].to(x.dtype)
        return torch.relu(self.linear(pooled))


class GRUReducer(nn.Module):
    """The GRU's last hidden state; bidirectional: both directions' last states, each of
    half the hidden size, concatenated (same parameter budget, §3.5)."""

    def __init__(self, in_dim: int, hidden: int, bidirectional: bool) -> None:
        super().__init__()
        if bidirectional and hidden % 2:
            raise ValueError(f"biGRU needs an even hidden size, got {hidden}")
        self.bidirectional = bidirectional
        self.gru = nn.GRU(in_dim, hidden // 2 if bidirectional else hidden, batch_first=True,
                          bidirectional=bidirectional)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)            # [num_directions, B, h]
        return torch.cat(list(h), dim=-1) if self.bidirectional else h[-1]


def build_reducer(name: str, in_dim: int, hidden: int) -> nn.Module:
    if name in ("max", "mean"):
        return PoolReducer(name, in_dim, hidden)
    if name in ("gru", "bigru"):
        return GRUReducer(in_dim, hidden, bidirectional=name == "bigru")
    raise ValueError(f"unknown temporal reducer {name!r}; choose from {REDUCERS}")
