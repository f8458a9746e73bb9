"""What an ST-SGN training run shows about itself (issue #15 step 1): learning curves and the
gradient and activation norms of every part of the model, per epoch, written to
``OUT/history.jsonl`` (one JSON object per epoch) and to TensorBoard (``OUT/tb``) as the
other trainers do (:mod:`sgfb.training.trainer`).
"""
from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from typing import Dict, List, Optional

import torch
from torch import nn


def part_of(name: str) -> str:
    """``encoder.convs.0.nn.weight`` -> ``encoder.convs.0``; ``classifier.weight`` ->
    ``classifier``: the layer a parameter belongs to."""
    bits = name.split(".")[:-1]
    if len(bits) >= 2 and bits[1] == "convs":
        return ".".join(bits[:3])
    return ".".join(bits[:2]) if bits else name


class NormMeter:
    """Mean per-step gradient norm of every layer, and the mean row norm of the encoder's and
    reducer's outputs (the frame and sequence embeddings) over one epoch's training steps."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.sums: Dict[str, float] = defaultdict(float)
        self.counts: Dict[str, int] = defaultdict(int)
        self.handles = []
        for part in ("encoder", "reducer"):
            module = getattr(model, part, None)
            if isinstance(module, nn.Module):
                self.handles.append(module.register_forward_hook(self._hook(f"act/{part}")))

    def _hook(self, key: str):
        def record(module, inputs, output):
            if module.training and isinstance(output, torch.Tensor) and output.numel():
                self._add(key, float(output.detach().norm(dim=-1).mean()))
        return record

    def _add(self, key: str, value: float) -> None:
        self.sums[key] += value
        self.counts[key] += 1

    def after_backward(self) -> None:
        squares: Dict[str, float] = defaultdict(float)
        for name, p in self.model.named_parameters():
            if p.grad is not None:
                squares[part_of(name)] += float(p.grad.detach().pow(2).sum())
        for part, sq in squares.items():
            self._add(f"grad/{part}", math.sqrt(sq))

    def epoch_means(self) -> Dict[str, float]:
        out = {k: self.sums[k] / self.counts[k] for k in sorted(self.sums)}
        self.sums.clear()
        self.counts.clear()
        return out

    def close(self) -> None:
        for h in self.handles:
            h.remove()


def weight_norms(model: nn.Module) -> Dict[str, float]:
    squares: Dict[str, float] = defaultdict(float)
    for name, p in model.named_parameters():
        squares[part_of(name)] += float(p.detach().pow(2).sum())
    return {f"weight/{k}": math.sqrt(v) for k, v in sorted(squares.items())}


class EpochLog:
    """Appends one record per epoch to ``OUT/history.jsonl`` and TensorBoard; a no-op
    without an output folder."""

    def __init__(self, out_dir: Optional[str]) -> None:
        self.out_dir = out_dir
        self._tb = None
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
            with open(self.path, "w", encoding="utf-8"):
                pass   # a new run starts a new history

    @property
    def path(self) -> str:
        return os.path.join(self.out_dir or "", "history.jsonl")

    def write(self, record: Dict) -> None:
        if not self.out_dir:
            return
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self._tb is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
                self._tb = SummaryWriter(os.path.join(self.out_dir, "tb"))
            except ImportError:   # tensorboard is in the lock file; tolerate its absence
                self._tb = False
        if self._tb:
            for key, value in record.items():
                if key != "epoch" and isinstance(value, (int, float)) and math.isfinite(value):
                    self._tb.add_scalar(key, value, record["epoch"])
            self._tb.flush()

    def close(self) -> None:
        if self._tb:
            self._tb.close()


def read_history(path: str) -> List[Dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
