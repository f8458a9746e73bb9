"""Training and evaluation of ST-SGN models (ST-SGN §4 "Hyperparameters").

AdamW (lr 1e-3, weight decay 1e-3), batch 50 samples, validation every epoch, the best
model by validation loss kept, early stopping after ``patience`` (3) epochs without
improvement. Multi-label tasks: the sample's logits are the max over its sequences' logits
(§3.6), trained with binary cross-entropy; single-label: cross-entropy.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from sgfb.evaluation.mean_ap import mean_average_precision
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.model import STSGN
from sgfb.stsgn.tasks import SampleSet


@dataclass
class TrainConfig:
    lr: float = 1e-3
    weight_decay: float = 1e-3
    batch_size: int = 50
    max_epochs: int = 50
    patience: int = 3
    seed: int = 0
    eval_batch_size: int = 500
    progress: bool = True


@dataclass
class TrainResult:
    best_epoch: int
    best_val_loss: float
    history: List[Dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def sample_logits(model: STSGN, graphs: FrameGraphs, samples: SampleSet,
                  indices: torch.Tensor):
    """``[B, A]`` logits of samples ``indices`` (max over each sample's sequences) and targets."""
    frames, lengths, sample_of_sequence, targets = samples.batch(indices)
    logits = model(frames, lengths, graphs)
    if sample_of_sequence.numel() == indices.numel():  # one sequence per sample
        return logits, targets.to(logits.device)
    out = torch.full((indices.numel(), logits.shape[1]), float("-inf"), device=logits.device,
                     dtype=logits.dtype)
    index = sample_of_sequence.to(logits.device)[:, None].expand_as(logits)
    return out.scatter_reduce(0, index, logits, reduce="amax"), targets.to(logits.device)


def loss_of(logits: torch.Tensor, targets: torch.Tensor, multi_label: bool) -> torch.Tensor:
    if multi_label:
        return F.binary_cross_entropy_with_logits(logits, targets)
    return F.cross_entropy(logits, targets)


@torch.no_grad()
def predict(model: STSGN, graphs: FrameGraphs, samples: SampleSet,
            batch_size: int = 500) -> tuple[np.ndarray, float]:
    """Scores ``[S, A]`` (sigmoid for multi-label, softmax otherwise) and the mean loss."""
    model.eval()
    scores, total, count = [], 0.0, 0
    for start in range(0, len(samples), batch_size):
        idx = torch.arange(start, min(start + batch_size, len(samples)))
        logits, targets = sample_logits(model, graphs, samples, idx)
        total += float(loss_of(logits, targets, samples.multi_label)) * idx.numel()
        count += idx.numel()
        probs = torch.sigmoid(logits) if samples.multi_label else torch.softmax(logits, -1)
        scores.append(probs.cpu().numpy())
    n_classes = model.config.num_classes
    return (np.concatenate(scores) if scores else np.zeros((0, n_classes), np.float32),
            total / max(count, 1))


def metrics(scores: np.ndarray, samples: SampleSet) -> Dict[str, float]:
    """``mAP`` (multi-label, over classes with positives) or ``top1`` (single-label)."""
    targets = samples.targets.numpy()
    if samples.multi_label:
        return {"mAP": mean_average_precision(scores, targets)}
    return {"top1": float((scores.argmax(1) == targets).mean()) if len(targets) else math.nan}


def train(model: STSGN, graphs: FrameGraphs, train_set: SampleSet, val_set: SampleSet,
          config: TrainConfig, log: Callable[[str], None] = print,
          on_epoch: Optional[Callable[[int, STSGN], None]] = None) -> TrainResult:
    """Train ``model`` in place; on return it holds the weights of the best validation epoch."""
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"need training and validation samples, got {len(train_set)} and "
                         f"{len(val_set)}")
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    result = TrainResult(best_epoch=-1, best_val_loss=math.inf)
    best_state = copy.deepcopy(model.state_dict())
    start = time.perf_counter()
    for epoch in range(config.max_epochs):
        model.train()
        order = torch.randperm(len(train_set), generator=generator)
        batches = order.split(config.batch_size)
        running = 0.0
        bar = tqdm(batches, desc=f"epoch {epoch}", leave=False, disable=not config.progress)
        for idx in bar:
            logits, targets = sample_logits(model, graphs, train_set, idx)
            loss = loss_of(logits, targets, train_set.multi_label)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.item() * idx.numel()
        val_scores, val_loss = predict(model, graphs, val_set, config.eval_batch_size)
        row = {"epoch": epoch, "train_loss": running / len(train_set), "val_loss": val_loss,
               **{f"val_{k}": v for k, v in metrics(val_scores, val_set).items()}}
        result.history.append(row)
        log(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in row.items()))
        if on_epoch is not None:
            on_epoch(epoch, model)
        if val_loss < result.best_val_loss:
            result.best_val_loss, result.best_epoch = val_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= config.patience:
            log(f"early stop: no validation improvement for {config.patience} epochs")
            break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - start
    return result
