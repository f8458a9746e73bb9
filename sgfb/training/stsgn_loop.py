"""Training and evaluation of ST-SGN models (ST-SGN §4 "Hyperparameters").

The paper's recipe: AdamW (lr 1e-3, weight decay 1e-3), batch 50 samples, validation every
epoch, the best model by validation loss kept, early stopping after ``patience`` (3) epochs
without improvement. Multi-label tasks: the sample's logits are the max over its sequences'
logits (§3.6), trained with binary cross-entropy; single-label: cross-entropy.

Recipe keys beyond the paper (issue #15; the defaults in :class:`TrainConfig` are the recipe
chosen on validation videos of the real AG subset, ``paper_recipe`` and
``configs/stsgn/paper.yaml`` restore the paper's): ``select`` (keep the epoch of best ``val_loss`` or ``val_mAP``),
``warmup_epochs`` and ``schedule`` (linear warm-up, then constant or cosine), ``loss``
(``bce`` or ``focal`` with ``focal_gamma``), ``pos_weight_power`` (per-class positive weight
``(negatives / positives) ** power`` from the training set, capped at ``pos_weight_max``),
``grad_clip``, ``label_smoothing``, ``ema_decay`` (evaluate, select and keep an exponential
moving average of the weights, updated after every step:
``avg = decay * avg + (1 - decay) * w``).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from sgfb.evaluation.mean_ap import mean_average_precision
from sgfb.training.hooks import BestWeights, EvalHook, LRScheduler
from sgfb.training.loop import HookBase, SimpleTrainer
from sgfb.utils.distributed import DistInfo
from sgfb.stsgn.graphs import FrameGraphs
from sgfb.stsgn.model import STSGN
from sgfb.training.stsgn_monitor import EpochLog, NormMeter, weight_norms
from sgfb.stsgn.tasks import SampleSet


@dataclass
class TrainConfig:
    lr: float = 2e-3
    weight_decay: float = 1e-2
    batch_size: int = 50
    max_epochs: int = 12
    patience: int = 4
    seed: int = 0
    eval_batch_size: int = 500
    progress: bool = True
    select: str = "val_mAP"           # val_loss (paper) | val_mAP: the epoch kept, early stopping
    warmup_epochs: float = 1.0        # linear learning-rate warm-up
    schedule: str = "cosine"          # constant (paper) | cosine (over max_epochs, after warm-up)
    loss: str = "focal"               # bce (paper) | focal (multi-label tasks)
    focal_gamma: float = 2.0
    label_smoothing: float = 0.0      # training targets y (1 - s) + s / 2; 0: off
    pos_weight_power: float = 0.0     # 0: none; 1: negatives / positives per class
    pos_weight_max: float = 100.0
    grad_clip: float = 0.0            # max gradient norm; 0: off
    ema_decay: float = 0.0            # 0: off; else evaluate / keep an EMA of the weights
    eval_train: bool = True           # score the training set each epoch (learning curves)


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


def loss_of(logits: torch.Tensor, targets: torch.Tensor, multi_label: bool,
            pos_weight: Optional[torch.Tensor] = None, focal_gamma: float = 0.0,
            smoothing: float = 0.0) -> torch.Tensor:
    """BCE (multi-label; optionally positive-weighted and focal) or cross-entropy; label
    smoothing ``smoothing`` moves each binary target towards 1/2 (``y (1 - s) + s / 2``; the
    focal factor still follows the hard label) or spreads ``s`` over the classes."""
    if not multi_label:
        return F.cross_entropy(logits, targets, label_smoothing=smoothing)
    soft = targets * (1 - smoothing) + smoothing / 2 if smoothing else targets
    loss = F.binary_cross_entropy_with_logits(logits, soft, pos_weight=pos_weight,
                                              reduction="none" if focal_gamma else "mean")
    if not focal_gamma:
        return loss
    p = torch.sigmoid(logits)
    p_true = torch.where(targets > 0.5, p, 1 - p)
    return ((1 - p_true).pow(focal_gamma) * loss).mean()


def positive_weights(samples: SampleSet, power: float, cap: float) -> Optional[torch.Tensor]:
    """``[A]`` ``(negatives / positives) ** power`` per class, capped; None when off."""
    if power <= 0 or not samples.multi_label:
        return None
    pos = samples.targets.sum(0)
    neg = len(samples) - pos
    return (neg / pos.clamp(min=1)).clamp(min=1.0).pow(power).clamp(max=cap)


def lr_factor(step: int, steps_per_epoch: int, config: "TrainConfig") -> float:
    """Learning-rate multiplier at optimiser step ``step``: linear warm-up over
    ``warmup_epochs``, then 1 (constant) or a cosine decay to 0 at ``max_epochs``."""
    warm = config.warmup_epochs * steps_per_epoch
    if warm > 0 and step < warm:
        return (step + 1) / warm
    if config.schedule == "cosine":
        total = max(config.max_epochs * steps_per_epoch - warm, 1)
        return 0.5 * (1 + math.cos(math.pi * min((step - warm) / total, 1.0)))
    return 1.0


def paper_recipe(config: "TrainConfig") -> "TrainConfig":
    """The ST-SGN paper's recipe (§4): every key beyond it off."""
    return dataclasses.replace(config, lr=1e-3, weight_decay=1e-3, batch_size=50, patience=3,
                               max_epochs=50,
                               select="val_loss", warmup_epochs=0.0, schedule="constant",
                               loss="bce", pos_weight_power=0.0, grad_clip=0.0,
                               ema_decay=0.0, label_smoothing=0.0)


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
    n_classes = model.num_classes
    return (np.concatenate(scores) if scores else np.zeros((0, n_classes), np.float32),
            total / max(count, 1))


def metrics(scores: np.ndarray, samples: SampleSet) -> Dict[str, float]:
    """``mAP`` (multi-label, over classes with positives) or ``top1`` (single-label)."""
    targets = samples.targets.numpy()
    if samples.multi_label:
        return {"mAP": mean_average_precision(scores, targets)}
    return {"top1": float((scores.argmax(1) == targets).mean()) if len(targets) else math.nan}


def _check(config: TrainConfig) -> None:
    choices = {"select": ("val_loss", "val_mAP"), "schedule": ("constant", "cosine"),
               "loss": ("bce", "focal")}
    for key, allowed in choices.items():
        if getattr(config, key) not in allowed:
            raise ValueError(f"train.{key} must be one of {allowed}, got {getattr(config, key)!r}")


class WeightAverage(HookBase):
    """An exponential moving average of ``model``'s parameters and buffers in ``average``
    (a copy of ``model``), updated after every optimiser step:
    ``avg = decay * avg + (1 - decay) * w`` (Polyak averaging)."""

    def __init__(self, model: torch.nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"train.ema_decay must be in (0, 1) or 0 (off), got {decay}")
        self.model, self.decay = model, decay
        self.average = copy.deepcopy(model)
        for p in self.average.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def after_step(self) -> None:
        for avg, w in zip(self.average.state_dict().values(), self.model.state_dict().values()):
            if avg.dtype.is_floating_point:
                avg.mul_(self.decay).add_(w, alpha=1.0 - self.decay)
            else:
                avg.copy_(w)


class _EpochRecord(HookBase):
    """The per-epoch side of an ST-SGN run: summed training loss, norm monitor, history."""

    def __init__(self, model: STSGN, out_dir: Optional[str]) -> None:
        self.meter, self.history = NormMeter(model), EpochLog(out_dir)
        self.running = 0.0

    def after_backward(self) -> None:
        self.meter.after_backward()

    def after_step(self) -> None:
        self.running += self.trainer.last_values["loss"] * self.trainer.last_batch.numel()

    def close(self) -> None:
        self.meter.close()
        self.history.close()


def train(model: STSGN, graphs: FrameGraphs, train_set: SampleSet, val_set: SampleSet,
          config: TrainConfig, log: Callable[[str], None] = print,
          on_epoch: Optional[Callable[[int, STSGN], None]] = None,
          out_dir: Optional[str] = None) -> TrainResult:
    """Train ``model`` in place; on return it holds the weights of the best validation epoch
    (by ``config.select``). With ``out_dir``, every epoch's losses, mAPs, learning rate and
    per-layer gradient / weight / activation norms go to ``out_dir/history.jsonl`` and
    TensorBoard (``out_dir/tb``).

    The loop is :class:`~sgfb.training.loop.SimpleTrainer` (an epoch is
    ``ceil(samples / batch)`` steps over a seeded permutation; no per-step reseed, so dropout
    draws follow the global RNG as the paper's recipe does) with the LR schedule, an
    evaluation per epoch and :class:`~sgfb.training.hooks.BestWeights` (patience in epochs)."""
    if len(train_set) == 0 or len(val_set) == 0:
        raise ValueError(f"need training and validation samples, got {len(train_set)} and "
                         f"{len(val_set)}")
    _check(config)
    if config.select == "val_mAP" and not train_set.multi_label:
        config = dataclasses.replace(config, select="val_top1")
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, steps_per_epoch, config))
    pos_weight = positive_weights(train_set, config.pos_weight_power, config.pos_weight_max)
    gamma = config.focal_gamma if config.loss == "focal" else 0.0

    def batches(start: int):
        generator = torch.Generator().manual_seed(config.seed)
        for epoch in range(config.max_epochs):
            order = torch.randperm(len(train_set), generator=generator)
            for step, idx in enumerate(tqdm(order.split(config.batch_size), desc=f"epoch {epoch}",
                                            leave=False, disable=not config.progress)):
                if epoch * steps_per_epoch + step >= start:
                    yield idx

    def step_fn(module: STSGN, idx: torch.Tensor) -> Dict[str, torch.Tensor]:
        logits, targets = sample_logits(module, graphs, train_set, idx)
        weight = None if pos_weight is None else pos_weight.to(logits.device)
        return {"loss": loss_of(logits, targets, train_set.multi_label, weight, gamma,
                                config.label_smoothing)}

    record = _EpochRecord(model, out_dir)
    result = TrainResult(best_epoch=-1, best_val_loss=math.inf)
    lr_of_epoch = [config.lr * lr_factor(0, steps_per_epoch, config)]

    def evaluate(module: STSGN) -> Dict[str, float]:
        epoch = (loop.iteration - 1) // steps_per_epoch
        val_scores, val_loss = predict(module, graphs, val_set, config.eval_batch_size)
        row = {"epoch": epoch, "lr": lr_of_epoch[0], "train_loss": record.running / len(train_set)}
        if config.eval_train:
            train_scores, train_eval_loss = predict(module, graphs, train_set,
                                                    config.eval_batch_size)
            row.update({"train_eval_loss": train_eval_loss,
                        **{f"train_{k}": v for k, v in metrics(train_scores, train_set).items()}})
        row.update({"val_loss": val_loss,
                    **{f"val_{k}": v for k, v in metrics(val_scores, val_set).items()}})
        result.history.append(row)
        log(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in row.items()))
        record.history.write({**row, **record.meter.epoch_means(), **weight_norms(module)})
        if on_epoch is not None:
            on_epoch(epoch, module)
        record.running = 0.0
        lr_of_epoch[0] = optimizer.param_groups[0]["lr"]
        return {k: v for k, v in row.items() if isinstance(v, float)}

    info = DistInfo(rank=0, world_size=1, local_rank=0, device=next(model.parameters()).device)
    loop = SimpleTrainer(model, step_fn, batches, optimizer, clip_grad=config.grad_clip,
                         reseed=False)
    average = WeightAverage(model, config.ema_decay) if config.ema_decay else None
    scored = average.average if average else model     # the weights evaluated and kept
    evals = EvalHook(evaluate, scored, info, period=steps_per_epoch, log=lambda _: None)
    best = BestWeights(evals, scored, config.select, "min" if config.select == "val_loss" else "max",
                       patience=config.patience, log=log)
    loop.register_hooks([LRScheduler(scheduler), record, average, evals, best])
    start = time.perf_counter()
    loop.train(0, config.max_epochs * steps_per_epoch)
    if average:
        model.load_state_dict(scored.state_dict())
    result.best_epoch = best.best_evaluation
    result.best_val_loss = (result.history[best.best_evaluation]["val_loss"]
                            if best.best_evaluation >= 0 else math.inf)
    result.seconds = time.perf_counter() - start
    return result
