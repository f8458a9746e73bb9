"""Temporal reducers (ST-SGN §3.5): a sequence of frame embeddings -> one vector.

Input: ``x`` ``[sum(lengths), D]``, the frames of sequence 0, then of sequence 1, ... each in
time order, and ``lengths`` ``[B]`` (each >= 1). Output ``[B, H]``. Sequences are never padded,
so nothing can leak between them or from padding.
"""
from __future__ import annotations

from typing import Callable, Dict

import torch
import torch.nn.functional as F
from torch import nn

from sgfb.stsgn.graphs import segment_ids

class PoolReducer(nn.Module):
    """``e_seq = ReLU(Linear(MeanOrMax(e_graph^(1..t))))``."""

    def __init__(self, mode: str, in_dim: int, hidden: int) -> None:
        super().__init__()
        if mode not in ("max", "mean"):
            raise ValueError(f"pooling mode must be 'max' or 'mean', got {mode!r}")
        self.mode = mode
        self.linear = nn.Linear(in_dim, hidden)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        lengths = lengths.to(x.device)
        index = segment_ids(lengths)[:, None].expand_as(x)
        pooled = x.new_zeros(lengths.numel(), x.shape[1])
        pooled = pooled.scatter_reduce(0, index, x, reduce="amax" if self.mode == "max" else "mean",
                                       include_self=False)
        return torch.relu(self.linear(pooled))


class GRUReducer(nn.Module):
    """The GRU's last hidden state; bidirectional: both directions' last states, each of
    half the hidden size, concatenated (same parameter budget, §3.5).

    Computes what :class:`torch.nn.GRU` computes on a packed sequence, with the weights of
    ``nn.GRU`` modules, but projects the inputs of all frames in one matrix product (PyTorch
    does that only for unpacked input, where padding costs as much as frames) and steps the
    recurrence only over the sequences still running, longest first.
    """

    def __init__(self, in_dim: int, hidden: int, bidirectional: bool) -> None:
        super().__init__()
        if bidirectional and hidden % 2:
            raise ValueError(f"biGRU needs an even hidden size, got {hidden}")
        self.bidirectional = bidirectional
        size = hidden // 2 if bidirectional else hidden
        self.forward_gru = nn.GRU(in_dim, size)
        self.backward_gru = nn.GRU(in_dim, size) if bidirectional else None

    @staticmethod
    def _run(gru: nn.GRU, x: torch.Tensor, lengths: torch.Tensor, reverse: bool) -> torch.Tensor:
        gi = F.linear(x, gru.weight_ih_l0, gru.bias_ih_l0)            # [sum T, 3h]
        lengths_sorted, order = torch.sort(lengths, descending=True, stable=True)
        starts = (torch.cumsum(lengths, 0) - lengths)[order]
        steps = int(lengths_sorted[0])
        running = (lengths_sorted[None, :] > torch.arange(steps, device=x.device)[:, None]).sum(1)
        running = running.tolist()
        h = x.new_zeros(lengths.numel(), gru.hidden_size)
        for t in range(steps):
            n = running[t]
            rows = starts[:n] + (lengths_sorted[:n] - 1 - t if reverse else t)
            i_r, i_z, i_n = gi[rows].chunk(3, dim=1)
            h_r, h_z, h_n = F.linear(h[:n], gru.weight_hh_l0, gru.bias_hh_l0).chunk(3, dim=1)
            r = torch.sigmoid(i_r + h_r)
            z = torch.sigmoid(i_z + h_z)
            candidate = torch.tanh(i_n + r * h_n)
            h = torch.cat([(1 - z) * candidate + z * h[:n], h[n:]])
        return h[torch.argsort(order)]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        lengths = lengths.to(x.device)
        last = self._run(self.forward_gru, x, lengths, reverse=False)
        if self.backward_gru is None:
            return last
        return torch.cat([last, self._run(self.backward_gru, x, lengths, reverse=True)], dim=-1)


REDUCER_BUILDERS: Dict[str, Callable[[int, int], nn.Module]] = {
    "max": lambda in_dim, hidden: PoolReducer("max", in_dim, hidden),
    "mean": lambda in_dim, hidden: PoolReducer("mean", in_dim, hidden),
    "gru": lambda in_dim, hidden: GRUReducer(in_dim, hidden, bidirectional=False),
    "bigru": lambda in_dim, hidden: GRUReducer(in_dim, hidden, bidirectional=True),
}
REDUCERS = tuple(REDUCER_BUILDERS)   # in the order of the paper's tables


def build_reducer(name: str, in_dim: int, hidden: int) -> nn.Module:
    """The temporal reducer ``name`` (:data:`REDUCER_BUILDERS`) from ``in_dim`` frame
    embeddings to ``hidden``."""
    if name not in REDUCER_BUILDERS:
        raise ValueError(f"unknown temporal reducer {name!r}; choose from {REDUCERS}")
    return REDUCER_BUILDERS[name](in_dim, hidden)
