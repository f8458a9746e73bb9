"""The iteration-based recipe of the scene-graph and SGFB trainings: the loop of
:mod:`sgfb.training.loop` with the hooks of :mod:`sgfb.training.hooks`.

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

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, Optional

from torch import nn
from torch.utils.data import DataLoader, Dataset

from sgfb.data.epoch_items import EpochItems
from sgfb.training.hooks import (PREEMPTED, Checkpointer, EvalHook, LRScheduler, MetricsWriter,
                                 Preemption)
from sgfb.training.loop import SimpleTrainer, StepFn, step_seed
from sgfb.training.sampler import ResumableBatchSampler
from sgfb.training.solver import SolverConfig, build_optimizer, build_scheduler
from sgfb.utils.atomic_io import remove_stale_temporaries
from sgfb.utils.checkpoint import load_checkpoint
from sgfb.utils.distributed import DistInfo

ValidateFn = Callable[[nn.Module], Dict[str, float]]

LAST = "last.pt"

__all__ = ["Trainer", "TrainSummary", "LAST", "StepFn", "ValidateFn", "step_seed"]


@dataclass
class TrainSummary:
    start_iteration: int
    iterations: int
    seconds: float
    last_losses: Dict[str, float] = field(default_factory=dict)
    validation: Dict[str, float] = field(default_factory=dict)
    checkpoint: str = ""
    interrupted: bool = False


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
        self.dataset, self.collate = dataset, collate
        self.solver, self.out_dir, self.info = solver, out_dir, info
        self.extra_state = dict(extra_state or {})
        self.validate, self.progress, self.log = validate, progress, log
        self.optimizer = build_optimizer(self.model.parameters(), solver)
        self.scheduler = build_scheduler(self.optimizer, solver)
        self.sampler = ResumableBatchSampler(len(dataset), solver.batch_size, info.rank,
                                             info.world_size, solver.seed)
        wrapped: nn.Module = self.model
        if info.distributed:
            wrapped = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[info.device.index] if info.device.type == "cuda" else None,
                find_unused_parameters=find_unused_parameters)
        self.loop = SimpleTrainer(
            self.model, step_fn, self._batches, self.optimizer, wrapped=wrapped,
            use_amp=bool(solver.amp and info.device.type == "cuda"),
            clip_grad=solver.clip_grad, seed=solver.seed, rank=info.rank)
        self.scaler = self.loop.scaler
        self.iteration = 0
        self.checkpointer = Checkpointer(self.last_path, self.state, info, solver.checkpoint_every)
        self.metrics = MetricsWriter(out_dir, info, solver.log_every, progress)
        self.evaluation = (EvalHook(validate, self.model, info, solver.eval_every, log)
                           if validate is not None else None)
        self.loop.register_hooks([LRScheduler(self.scheduler), self.metrics, self.checkpointer,
                                  self.evaluation, Preemption(info)])

    # ------------------------------------------------------------------ checkpoints
    @property
    def last_path(self) -> str:
        return os.path.join(self.out_dir, LAST)

    def state(self) -> Dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "scaler": self.scaler.state_dict(),
                "iteration": self.loop.iteration, "solver": vars(self.solver).copy(),
                "world_size": self.info.world_size, **self.extra_state}

    def save(self) -> str:
        return self.checkpointer.save()

    def resume(self) -> bool:
        """Restore ``OUT/last.pt`` if it exists; returns whether it did."""
        if not os.path.isfile(self.last_path):
            return False
        state = load_checkpoint(self.last_path, map_location=self.info.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.iteration = self.loop.iteration = int(state["iteration"])
        saved_global = (int(state.get("solver", {}).get("batch_size", self.solver.batch_size))
                        * int(state.get("world_size", self.info.world_size)))
        if saved_global != self.sampler.global_batch:
            self.log(f"warning: {self.last_path} was trained with a global batch of "
                     f"{saved_global}, this run uses {self.sampler.global_batch}; the data "
                     "order after resuming differs from an uninterrupted run")
        return True

    # ------------------------------------------------------------------------ loop
    def _batches(self, start: int) -> Iterator[Any]:
        """The batches of iterations ``start`` .. ``max_iters`` (a function of the iteration:
        dataset randomness is seeded per (seed, epoch, index) through ``set_epoch``), from
        one DataLoader whose workers serve every epoch (:class:`EpochItems`)."""
        batches = self.sampler.item_batches(start, self.solver.max_iters)
        yield from DataLoader(EpochItems(self.dataset), batch_sampler=batches,
                              collate_fn=self.collate, num_workers=self.solver.num_workers,
                              pin_memory=self.info.device.type == "cuda")

    def train(self, resume: bool = False) -> TrainSummary:
        os.makedirs(self.out_dir, exist_ok=True)
        if self.info.is_main:  # what a kill during a save left behind is never loaded
            for stale in remove_stale_temporaries(self.out_dir):
                self.log(f"removed {stale} (left by an interrupted save)")
        if resume and self.resume():
            self.log(f"resumed from {self.last_path} at iteration {self.iteration}")
        start = self.iteration
        started = time.perf_counter()
        self.loop.train(start, self.solver.max_iters)
        self.iteration = self.loop.iteration
        interrupted = self.loop.stop_reason == PREEMPTED
        if interrupted:
            self.log(f"stopped by SIGTERM at iteration {self.iteration}; "
                     f"resume with --resume from {self.last_path}")
        validation = self.evaluation.final if self.evaluation is not None else {}
        return TrainSummary(start, self.iteration, time.perf_counter() - started,
                            self.metrics.last, validation, self.last_path, interrupted)
