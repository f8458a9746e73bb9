"""The iteration-based training loop shared by ``train_sg.py`` and ``train_sgfb.py``.

What it guarantees:

- **Distributed**: under ``torchrun`` the model is wrapped in DDP; each process takes its
  slice of the global batch (:class:`ResumableBatchSampler`), so N processes with batch B
  compute what one process with batch N*B computes, provided ``step_fn`` returns per-process
  *means* over equal-sized batches (DDP averages gradients over processes).
- **Exact resume**: ``OUT/last.pt`` holds model, optimiser, scheduler, AMP scaler and the
  iteration; it is written atomically every ``checkpoint_every`` iterations, at the end, and
  when the process receives SIGTERM (cluster pre-emption). Batches are a function of the
  iteration, dataset randomness must be seeded per (seed, epoch, index) (``set_epoch``), and
  the global torch RNG (dropout, proposal sampling) is reseeded from (seed, iteration, rank)
  before every step, so a resumed run ends with the weights of an uninterrupted one.
- **Logging**: a tqdm bar on the main process, losses averaged over processes every
  ``log_every`` iterations into ``OUT/metrics.jsonl`` and TensorBoard (``OUT/tb``), and
  validation metrics every ``eval_every`` iterations and at the end.
"""
from __future__ import annotations

import json
import os
import signal
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from sgfb.atomic_io import remove_stale_temporaries
from sgfb.engine.checkpoint import load_checkpoint, save_checkpoint
from sgfb.engine.distributed import DistInfo, barrier, mean_across_processes
from sgfb.engine.sampler import ResumableBatchSampler
from sgfb.engine.solver import SolverConfig, build_optimizer, build_scheduler

StepFn = Callable[[nn.Module, Any], Dict[str, torch.Tensor]]
ValidateFn = Callable[[nn.Module], Dict[str, float]]

LAST = "last.pt"


class Interrupted(RuntimeError):
    """A run stopped early (SIGTERM) after saving its checkpoint; ``--resume`` continues it.
    Multi-stage pipelines raise it so a later stage never starts from an unfinished one."""


@dataclass
class TrainSummary:
    start_iteration: int
    iterations: int
    seconds: float
    last_losses: Dict[str, float] = field(default_factory=dict)
    validation: Dict[str, float] = field(default_factory=dict)
    checkpoint: str = ""
    interrupted: bool = False


def step_seed(seed: int, iteration: int, rank: int) -> int:
    return int(np.random.SeedSequence([seed, iteration, rank]).generate_state(1)[0])


class _Preemption:
    """Turns SIGTERM into a flag checked between iterations (main thread only)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "_Preemption":
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread
            self._previous = None
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


class Trainer:
    """Train ``model`` with ``step_fn(model, batch) -> {loss name: scalar}`` (summed).

    ``model`` is the module whose parameters train (frozen parts may live inside it with
    ``requires_grad=False``); ``extra_state`` (config, vocabularies, preprocessing) is stored
    in every checkpoint so inference needs nothing else.
    """

    def __init__(self, model: nn.Module, step_fn: StepFn, dataset: Dataset,
                 collate: Callable, solver: SolverConfig, out_dir: str, info: DistInfo,
                 extra_state: Optional[Dict[str, Any]] = None,
                 validate: Optional[ValidateFn] = None, progress: bool = True,
                 log: Callable[[str], None] = print, find_unused_parameters: bool = False) -> None:
        self.model = model.to(info.device)
        self.step_fn, self.dataset, self.collate = step_fn, dataset, collate
        self.solver, self.out_dir, self.info = solver, out_dir, info
        self.extra_state = dict(extra_state or {})
        self.validate, self.progress, self.log = validate, progress, log
        self.optimizer = build_optimizer(self.model.parameters(), solver)
        self.scheduler = build_scheduler(self.optimizer, solver)
        self.use_amp = bool(solver.amp and info.device.type == "cuda")
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.sampler = ResumableBatchSampler(len(dataset), solver.batch_size, info.rank,
                                             info.world_size, solver.seed)
        self.wrapped: nn.Module = self.model
        if info.distributed:
            self.wrapped = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[info.device.index] if info.device.type == "cuda" else None,
                find_unused_parameters=find_unused_parameters)
        self.iteration = 0
        self._tb = None
        self._lr = 0.0

    # ------------------------------------------------------------------ checkpoints
    @property
    def last_path(self) -> str:
        return os.path.join(self.out_dir, LAST)

    def state(self) -> Dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                "iteration": self.iteration, "solver": vars(self.solver).copy(),
                "world_size": self.info.world_size, **self.extra_state}

    def save(self) -> str:
        if self.info.is_main:
            save_checkpoint(self.last_path, self.state())
        barrier(self.info)
        return self.last_path

    def resume(self) -> bool:
        """Restore ``OUT/last.pt`` if it exists; returns whether it did."""
        if not os.path.isfile(self.last_path):
            return False
        state = load_checkpoint(self.last_path, map_location=self.info.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.iteration = int(state["iteration"])
        saved_global = (int(state.get("solver", {}).get("batch_size", self.solver.batch_size))
                        * int(state.get("world_size", self.info.world_size)))
        if saved_global != self.sampler.global_batch:
            self.log(f"warning: {self.last_path} was trained with a global batch of "
                     f"{saved_global}, this run uses {self.sampler.global_batch}; the data "
                     "order after resuming differs from an uninterrupted run")
        return True

    # ---------------------------------------------------------------------- logging
    def _metrics_path(self) -> str:
        return os.path.join(self.out_dir, "metrics.jsonl")

    def _truncate_metrics(self) -> None:
        """Drop records written after the checkpoint we resume from (they will be redone)."""
        path = self._metrics_path()
        if not self.info.is_main or not os.path.isfile(path):
            return
        kept = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    if json.loads(line).get("iteration", 0) <= self.iteration:
                        kept.append(line)
                except ValueError:  # a line cut short by a crash mid-append
                    continue
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(kept)

    def _record(self, record: Dict[str, Any]) -> None:
        if not self.info.is_main:
            return
        with open(self._metrics_path(), "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self._tb is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
                self._tb = SummaryWriter(os.path.join(self.out_dir, "tb"),
                                         purge_step=record["iteration"])
            except ImportError:  # tensorboard is in the lock file; tolerate its absence
                self._tb = False
        if self._tb:
            for key, value in record.items():
                if key != "iteration" and isinstance(value, (int, float)):
                    self._tb.add_scalar(key, value, record["iteration"])
            self._tb.flush()

    # ------------------------------------------------------------------------ loop
    def _loader(self, epoch: int, batches: List[List[int]]) -> DataLoader:
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)
        return DataLoader(self.dataset, batch_sampler=batches, collate_fn=self.collate,
                          num_workers=self.solver.num_workers,
                          pin_memory=self.info.device.type == "cuda")

    def _step(self, batch: Any) -> Dict[str, float]:
        torch.manual_seed(step_seed(self.solver.seed, self.iteration, self.info.rank))
        self.wrapped.train()
        autocast = (torch.autocast("cuda", dtype=torch.float16) if self.use_amp
                    else nullcontext())
        with autocast:
            losses = self.step_fn(self.wrapped, batch)
        total = sum(losses.values())
        if not torch.isfinite(total):
            raise FloatingPointError(
                f"loss is {total.item()} at iteration {self.iteration}: "
                + ", ".join(f"{k}={v.item():.4g}" for k, v in losses.items()))
        lr = self.optimizer.param_groups[0]["lr"]   # the rate this step uses
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        if self.solver.clip_grad > 0:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.model.parameters(), self.solver.clip_grad)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        values = {k: float(v.detach()) for k, v in losses.items()}
        values["loss"] = float(total.detach())
        self._lr = lr
        return values

    def _validate(self) -> Dict[str, float]:
        if self.validate is None:
            return {}
        metrics: Dict[str, float] = {}
        if self.info.is_main:
            self.model.eval()
            with torch.no_grad():
                metrics = self.validate(self.model)
            self._record({"iteration": self.iteration,
                          **{f"val/{k}": v for k, v in metrics.items()}})
            self.log(f"validation at iteration {self.iteration}: "
                     + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
        barrier(self.info)
        return metrics

    def train(self, resume: bool = False) -> TrainSummary:
        os.makedirs(self.out_dir, exist_ok=True)
        if self.info.is_main:  # what a kill during a save left behind is never loaded
            for stale in remove_stale_temporaries(self.out_dir):
                self.log(f"removed {stale} (left by an interrupted save)")
        if resume and self.resume():
            self.log(f"resumed from {self.last_path} at iteration {self.iteration}")
        self._truncate_metrics()  # a fresh run in an old folder starts a fresh log
        start, stop = self.iteration, self.solver.max_iters
        started = time.perf_counter()
        bar = tqdm(total=stop, initial=start, disable=not (self.progress and self.info.is_main),
                   desc="train", dynamic_ncols=True)
        window: List[Dict[str, float]] = []
        window_started = time.perf_counter()
        last: Dict[str, float] = {}
        validation: Dict[str, float] = {}
        interrupted = False
        with _Preemption() as preempt:
            for epoch, batches in self.sampler.epoch_batches(start, stop):
                for batch in self._loader(epoch, batches):
                    values = self._step(batch)
                    self.iteration += 1
                    window.append(values)
                    bar.update(1)
                    if self.iteration % self.solver.log_every == 0 or self.iteration == stop:
                        mean = {k: float(np.mean([w[k] for w in window])) for k in window[0]}
                        last = mean_across_processes(mean, self.info)
                        steps, window = len(window), []
                        lr = self._lr
                        now = time.perf_counter()
                        self._record({"iteration": self.iteration, "lr": lr,
                                      "sec_per_iter": (now - window_started) / steps,
                                      **{f"train/{k}": v for k, v in last.items()}})
                        window_started = now
                        bar.set_postfix(loss=f"{last['loss']:.4f}", lr=f"{lr:.3g}")
                    if self.iteration % self.solver.checkpoint_every == 0:
                        self.save()
                    if (self.solver.eval_every and self.iteration % self.solver.eval_every == 0
                            and self.iteration != stop):
                        self._validate()
                    stop_now = torch.tensor(int(preempt.requested), device=self.info.device)
                    if self.info.distributed:  # every process stops at the same iteration
                        torch.distributed.all_reduce(stop_now)
                    if int(stop_now):
                        interrupted = True
                        break
                if interrupted:
                    break
        bar.close()
        self.save()
        if interrupted:
            self.log(f"stopped by SIGTERM at iteration {self.iteration}; "
                     f"resume with --resume from {self.last_path}")
        elif self.iteration > start or self.validate is not None:
            validation = self._validate()
        if self._tb:
            self._tb.close()
        return TrainSummary(start, self.iteration, time.perf_counter() - started, last,
                            validation, self.last_path, interrupted)
