"""Feature bank operators (Action Genome paper §4.2, after Long-Term Feature Banks).

An FBO combines a clip feature ``S`` ``[B, Dc]`` with a window of the bank ``L`` ``[B, K, Db]``
(``mask`` ``[B, K]``, True at real slots). Padded slots never influence the output, and an
empty window (no real slot) contributes zeros.

- :class:`FBOPool` (``mean`` / ``max``): the bank pooled over its real slots, ``[B, Db]``.
- :class:`FBONonLocal`: ``S`` and ``L`` projected to ``d`` (512), then two stacked non-local
  blocks; each block ``s <- s + Dropout(W_out ReLU(LayerNorm(softmax(q k^T / sqrt(d)) v)))``
  with ``q = W_q s``, ``k = W_k L``, ``v = W_v L`` and ``W_out`` initialised to zero, so
  training starts from the plain clip feature. Output ``[B, d]``.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Tuple

import torch
from torch import nn


def masked_pool(bank: torch.Tensor, mask: torch.Tensor, mode: str) -> torch.Tensor:
    """Mean or max of ``bank`` ``[B, K, D]`` over its real slots; zeros for empty windows."""
    m = mask[..., None].to(bank.dtype)
    count = m.sum(1)
    if mode == "mean":
        return (bank * m).sum(1) / count.clamp(min=1)
    if mode == "max":
        pooled = bank.masked_fill(~mask[..., None], float("-inf")).amax(1)
        return torch.where(count > 0, pooled, torch.zeros_like(pooled))
    raise ValueError(f"pooling must be 'mean' or 'max', got {mode!r}")


class FBOPool(nn.Module):
    def __init__(self, mode: str) -> None:
        super().__init__()
        if mode not in ("mean", "max"):
            raise ValueError(f"FBO pooling must be 'mean' or 'max', got {mode!r}")
        self.mode = mode

    def forward(self, clip: torch.Tensor, bank: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return masked_pool(bank, mask, self.mode)

    def extra_repr(self) -> str:
        return self.mode


class NonLocalBlock(nn.Module):
    """One FBO non-local block (query: the clip state; keys and values: the bank)."""

    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.dropout = nn.Dropout(dropout)
        self.scale = dim ** -0.5

    def forward(self, state: torch.Tensor, bank: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q = self.query(state)[:, None, :]                          # [B, 1, d]
        logits = (q * self.key(bank)).sum(-1) * self.scale         # [B, K]
        logits = logits.masked_fill(~mask, float("-inf"))
        attention = torch.softmax(logits, dim=-1)
        attention = torch.nan_to_num(attention, nan=0.0)           # empty window: no attention
        attended = (attention[..., None] * self.value(bank)).sum(1)
        update = self.out(torch.relu(self.norm(attended)))
        update = update * mask.any(1, keepdim=True).to(update.dtype)
        return state + self.dropout(update)


class FBONonLocal(nn.Module):
    def __init__(self, clip_dim: int, bank_dim: int, dim: int = 512, blocks: int = 2,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.clip_proj = nn.Linear(clip_dim, dim)
        self.bank_proj = nn.Linear(bank_dim, dim)
        self.blocks = nn.ModuleList(NonLocalBlock(dim, dropout) for _ in range(blocks))
        self.dim = dim

    def forward(self, clip: torch.Tensor, bank: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        state = self.clip_proj(clip)
        memory = self.bank_proj(bank)
        for block in self.blocks:
            state = block(state, memory, mask)
        return state


def _nonlocal(clip_dim: int, bank_dim: int) -> tuple[nn.Module, int]:
    module = FBONonLocal(clip_dim, bank_dim)
    return module, module.dim


# name -> (clip size, bank size) -> (operator, its output size)
FBO_BUILDERS: Dict[str, Callable[[int, int], Tuple[nn.Module, int]]] = {
    "mean": lambda clip_dim, bank_dim: (FBOPool("mean"), bank_dim),
    "max": lambda clip_dim, bank_dim: (FBOPool("max"), bank_dim),
    "nl": _nonlocal,
}


def build_fbo(name: str, clip_dim: int, bank_dim: int) -> Tuple[Optional[nn.Module], int]:
    """``(operator, output size)`` of the FBO ``name`` (:data:`FBO_BUILDERS`); ``none``:
    ``(None, 0)``, the backbone-only baseline."""
    if name == "none":
        return None, 0
    if name not in FBO_BUILDERS:
        raise ValueError(f"unknown feature bank operator {name!r}; choose from "
                         f"{', '.join(FBO_BUILDERS)}, none")
    return FBO_BUILDERS[name](clip_dim, bank_dim)


class SGFBHead(nn.Module):
    """``[pooled clip feature, FBO(clip, bank)]`` -> dropout (0.3) -> linear to the classes.
    ``fbo``: a built operator (:func:`build_fbo`) whose output has ``fbo_dim`` channels;
    ``None``: the backbone-only baseline (the clip feature alone)."""

    def __init__(self, clip_dim: int, num_classes: int, fbo: Optional[nn.Module] = None,
                 fbo_dim: int = 0, dropout: float = 0.3) -> None:
        super().__init__()
        if (fbo is None) != (fbo_dim == 0):
            raise ValueError("give an FBO with its output size, or neither")
        self.fbo = fbo
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(clip_dim + fbo_dim, num_classes)

    def forward(self, clip: torch.Tensor, bank: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        parts = [clip]
        if self.fbo is not None:
            if bank is None or mask is None:
                raise ValueError("this head has a feature bank operator: give bank and mask")
            parts.append(self.fbo(clip, bank, mask))
        return self.classifier(self.dropout(torch.cat(parts, dim=-1)))


class BankOnlyClassifier(nn.Module):
    """Actions from the scene-graph bank alone (no video): the window pooled over its real
    slots, Linear + ReLU, dropout, linear to the classes."""

    def __init__(self, bank_dim: int, num_classes: int, pool: str = "max", hidden: int = 512,
                 dropout: float = 0.3) -> None:
        super().__init__()
        self.pool = pool
        self.mlp = nn.Sequential(nn.Linear(bank_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, num_classes))

    def forward(self, bank: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.mlp(masked_pool(bank, mask, self.pool))


def direct_nonlocal(block: NonLocalBlock, state: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """The block written out with plain matrix products for one sample (tests and docs):
    ``s + W_out ReLU(LN(softmax(W_q s (W_k L)^T / sqrt(d)) W_v L))`` (eval mode)."""
    q = block.query.weight @ state + block.query.bias
    k = bank @ block.key.weight.T + block.key.bias
    v = bank @ block.value.weight.T + block.value.bias
    a = torch.softmax(k @ q / math.sqrt(q.numel()), dim=0)
    return state + block.out(torch.relu(block.norm(a @ v)))
