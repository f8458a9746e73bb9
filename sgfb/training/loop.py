"""The one training loop: a loop that knows no model, metric or file, and hooks that do.

In the manner of detectron2's ``TrainerBase`` / ``HookBase`` and PyTorch Lightning's
callbacks: :class:`TrainerBase` calls ``before_train``, then ``before_step`` /
``run_step`` / ``after_step`` for every iteration, then ``after_train``; hooks save
checkpoints, write metrics, evaluate, schedule the learning rate, keep the best weights and
stop early. :class:`SimpleTrainer` is the step every sgfb model trains with: next batch,
per-step reseed, ``step_fn(model, batch) -> {name: loss}``, finite check, AMP, backward,
clipping, optimizer step.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Callable, Dict, Iterator, List, Optional

import numpy as np
import torch
from torch import nn

StepFn = Callable[[nn.Module, Any], Dict[str, torch.Tensor]]


def step_seed(seed: int, iteration: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, iteration, rank]).generate_state(1)[0])


class HookBase:
    """Called around the loop; ``self.trainer`` is set when the hook is registered."""

    trainer: "TrainerBase"

    def before_train(self) -> None:
        pass

    def before_step(self) -> None:
        pass

    def after_backward(self) -> None:
        """Gradients are in place, before clipping and the optimiser step (norm monitors)."""

    def after_step(self) -> None:
        pass

    def after_train(self) -> None:
        pass

    def close(self) -> None:
        """After every hook's ``after_train``: release files and writers."""

    def write(self, record: Dict[str, Any]) -> None:
        """A metrics record (``{"iteration": i, name: value, ...}``) another hook produced."""


class TrainerBase:
    """Runs ``run_step`` from ``start_iter`` to ``max_iter`` with hooks around it.

    ``self.iteration`` counts finished steps. A hook ends training after the current step
    with :meth:`request_stop` (pre-emption, early stopping); ``stop_reason`` says why.
    """

    def __init__(self) -> None:
        self.hooks: List[HookBase] = []
        self.iteration = 0
        self.start_iter = 0
        self.max_iter = 0
        self.stop_reason: Optional[str] = None
        self.last_values: Dict[str, float] = {}
        self.last_batch: Any = None

    def register_hooks(self, hooks: List[Optional[HookBase]]) -> None:
        for hook in hooks:
            if hook is not None:
                hook.trainer = self
                self.hooks.append(hook)

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason

    def write(self, record: Dict[str, Any]) -> None:
        for hook in self.hooks:
            hook.write(record)

    def train(self, start_iter: int, max_iter: int) -> None:
        self.iteration = self.start_iter = start_iter
        self.max_iter = max_iter
        self.stop_reason = None
        for hook in self.hooks:
            hook.before_train()
        while self.iteration < max_iter and self.stop_reason is None:
            for hook in self.hooks:
                hook.before_step()
            self.last_values = self.run_step()
            self.iteration += 1
            for hook in self.hooks:
                hook.after_step()
        for hook in self.hooks:
            hook.after_train()
        for hook in self.hooks:
            hook.close()

    def run_step(self) -> Dict[str, float]:
        raise NotImplementedError


class SimpleTrainer(TrainerBase):
    """One optimisation step per iteration.

    ``batches(start_iter)`` yields the batches from ``start_iter`` on (a function of the
    iteration, so a resumed run sees the batches of an uninterrupted one). ``model`` is the
    module whose parameters train; ``wrapped`` the module called (DDP around ``model``).
    With ``reseed`` the global torch RNG (dropout, sampling) is reseeded from (seed,
    iteration, rank) before every step, which exact resume needs.
    """

    def __init__(self, model: nn.Module, step_fn: StepFn, batches: Callable[[int], Iterator[Any]],
                 optimizer: torch.optim.Optimizer, wrapped: Optional[nn.Module] = None,
                 use_amp: bool = False, clip_grad: float = 0.0, seed: int = 0, rank: int = 0,
                 reseed: bool = True) -> None:
        super().__init__()
        self.model, self.step_fn, self.batches = model, step_fn, batches
        self.wrapped = wrapped if wrapped is not None else model
        self.optimizer = optimizer
        self.use_amp, self.clip_grad = use_amp, clip_grad
        self.seed, self.rank, self.reseed = seed, rank, reseed
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
        self.lr = 0.0
        self._data: Optional[Iterator[Any]] = None

    def train(self, start_iter: int, max_iter: int) -> None:
        self._data = iter(self.batches(start_iter))
        super().train(start_iter, max_iter)

    def run_step(self) -> Dict[str, float]:
        batch = self.last_batch = next(self._data)
        if self.reseed:
            torch.manual_seed(step_seed(self.seed, self.iteration, self.rank))
        self.wrapped.train()
        autocast = torch.autocast("cuda", dtype=torch.float16) if self.use_amp else nullcontext()
        with autocast:
            losses = self.step_fn(self.wrapped, batch)
        total = sum(losses.values())
        if not torch.isfinite(total):
            raise FloatingPointError(
                f"loss is {total.item()} at iteration {self.iteration}: "
                + ", ".join(f"{k}={v.item():.4g}" for k, v in losses.items()))
        self.lr = self.optimizer.param_groups[0]["lr"]   # the rate this step uses
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        for hook in self.hooks:
            hook.after_backward()
        if self.clip_grad > 0:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        values = {k: float(v.detach()) for k, v in losses.items()}
        values["loss"] = float(total.detach())
        return values
