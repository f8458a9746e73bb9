"""Hooks of the training loop (:mod:`sgfb.training.loop`): everything a run does besides
the optimisation step.

- :class:`LRScheduler` steps a learning-rate schedule after every iteration;
- :class:`Checkpointer` writes ``last.pt`` atomically every ``period`` iterations and at
  the end (a function of the trainer gives the state: model, optimiser, scheduler, scaler,
  iteration);
- :class:`Preemption` turns SIGTERM into a stop after the current step, at the same
  iteration on every process;
- :class:`MetricsWriter` averages the step values over a window and over processes into
  ``metrics.jsonl`` and TensorBoard, with a progress bar;
- :class:`EvalHook` evaluates every ``period`` iterations and at the end (main process);
- :class:`BestWeights` keeps the weights of the best evaluation and stops after
  ``patience`` evaluations without improvement.
"""
from __future__ import annotations

import copy
import json
import math
import os
import signal
import time
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from torch import nn

from sgfb.training.loop import HookBase
from sgfb.utils.checkpoint import save_checkpoint
from sgfb.utils.distributed import DistInfo, barrier, mean_across_processes

PREEMPTED = "SIGTERM"
EARLY_STOP = "early stop"


class LRScheduler(HookBase):
    def __init__(self, scheduler: Any) -> None:
        self.scheduler = scheduler

    def after_step(self) -> None:
        self.scheduler.step()


class Checkpointer(HookBase):
    """Saves ``state()`` to ``path`` (main process; every process waits) every ``period``
    iterations and when training ends, stopped or not."""

    def __init__(self, path: str, state: Callable[[], Dict[str, Any]], info: DistInfo,
                 period: int) -> None:
        self.path, self.state, self.info, self.period = path, state, info, period

    def save(self) -> str:
        if self.info.is_main:
            save_checkpoint(self.path, self.state())
        barrier(self.info)
        return self.path

    def after_step(self) -> None:
        if self.period and self.trainer.iteration % self.period == 0:
            self.save()

    def after_train(self) -> None:
        self.save()


class Preemption(HookBase):
    """SIGTERM (cluster pre-emption) sets a flag; after each step the processes agree on it
    (all-reduce) so all stop at the same iteration. Main thread only; elsewhere inert."""

    def __init__(self, info: DistInfo) -> None:
        self.info = info
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum, frame) -> None:
        self.requested = True

    def before_train(self) -> None:
        try:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        except ValueError:  # not the main thread
            self._previous = None

    def after_step(self) -> None:
        stop_now = torch.tensor(int(self.requested), device=self.info.device)
        if self.info.distributed:
            torch.distributed.all_reduce(stop_now)
        if int(stop_now):
            self.trainer.request_stop(PREEMPTED)

    def close(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None


class MetricsWriter(HookBase):
    """Window means of the step values (``train/<name>``), the learning rate and seconds per
    iteration every ``period`` iterations and at the last one, averaged over processes;
    records of other hooks (``val/...``) too. Main process writes ``OUT/metrics.jsonl`` and
    ``OUT/tb``; records after the iteration training starts from (a resumed run redoes them)
    are dropped first."""

    def __init__(self, out_dir: str, info: DistInfo, period: int, progress: bool = True) -> None:
        self.out_dir, self.info, self.period, self.progress = out_dir, info, period, progress
        self.last: Dict[str, float] = {}
        self._window: List[Dict[str, float]] = []
        self._window_started = 0.0
        self._tb: Any = None
        self._bar: Any = None

    @property
    def path(self) -> str:
        return os.path.join(self.out_dir, "metrics.jsonl")

    def before_train(self) -> None:
        self._truncate(self.trainer.iteration)
        from tqdm import tqdm
        self._bar = tqdm(total=self.trainer.max_iter, initial=self.trainer.iteration,
                         disable=not (self.progress and self.info.is_main), desc="train",
                         dynamic_ncols=True)
        self._window, self._window_started = [], time.perf_counter()

    def _truncate(self, iteration: int) -> None:
        if not self.info.is_main or not os.path.isfile(self.path):
            return
        kept = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    if json.loads(line).get("iteration", 0) <= iteration:
                        kept.append(line)
                except ValueError:  # a line cut short by a crash mid-append
                    continue
        with open(self.path, "w", encoding="utf-8") as f:
            f.writelines(kept)

    def after_step(self) -> None:
        trainer = self.trainer
        self._window.append(trainer.last_values)
        self._bar.update(1)
        if trainer.iteration % self.period and trainer.iteration != trainer.max_iter:
            return
        mean = {k: float(np.mean([w[k] for w in self._window])) for k in self._window[0]}
        self.last = mean_across_processes(mean, self.info)
        now = time.perf_counter()
        lr = getattr(trainer, "lr", 0.0)
        trainer.write({"iteration": trainer.iteration, "lr": lr,
                       "sec_per_iter": (now - self._window_started) / len(self._window),
                       **{f"train/{k}": v for k, v in self.last.items()}})
        self._window, self._window_started = [], now
        self._bar.set_postfix(loss=f"{self.last['loss']:.4f}", lr=f"{lr:.3g}")

    def after_train(self) -> None:
        self._bar.close()

    def write(self, record: Dict[str, Any]) -> None:
        if not self.info.is_main:
            return
        with open(self.path, "a", encoding="utf-8") as f:
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

    def close(self) -> None:
        if self._tb:
            self._tb.close()
        self._tb = None


class EvalHook(HookBase):
    """``evaluate(model) -> {name: value}`` every ``period`` iterations (not at the last one:
    the final evaluation follows) and when training ends (not after a pre-emption), on the
    main process in eval mode without gradients; results are written as ``val/<name>`` and
    kept in ``latest`` (iteration, metrics) for :class:`BestWeights`."""

    def __init__(self, evaluate: Callable[[nn.Module], Dict[str, float]], model: nn.Module,
                 info: DistInfo, period: int = 0, log: Callable[[str], None] = print) -> None:
        self.evaluate, self.model, self.info = evaluate, model, info
        self.period, self.log = period, log
        self.latest: Optional[tuple] = None
        self.final: Dict[str, float] = {}

    def _run(self) -> Dict[str, float]:
        metrics: Dict[str, float] = {}
        if self.info.is_main:
            self.model.eval()
            with torch.no_grad():
                metrics = self.evaluate(self.model)
            self.trainer.write({"iteration": self.trainer.iteration,
                                **{f"val/{k}": v for k, v in metrics.items()}})
            self.log(f"validation at iteration {self.trainer.iteration}: "
                     + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
        barrier(self.info)
        self.latest = (self.trainer.iteration, metrics)
        return metrics

    def after_step(self) -> None:
        it = self.trainer.iteration
        if self.period and it % self.period == 0 and it != self.trainer.max_iter:
            self._run()

    def after_train(self) -> None:
        if self.trainer.stop_reason == PREEMPTED:
            return
        if self.latest is not None and self.latest[0] == self.trainer.iteration:
            self.final = self.latest[1]
        else:
            self.final = self._run()


class BestWeights(HookBase):
    """Keeps a copy of the weights at the best value of ``metric`` among ``evals``'s results
    (``mode`` ``min`` or ``max``; the first of equal values), asks the loop to stop after
    ``patience`` evaluations without improvement (``None``: never; 0: at the first), and
    loads the best weights into ``model`` when training ends."""

    def __init__(self, evals: EvalHook, model: nn.Module, metric: str, mode: str = "min",
                 patience: Optional[int] = None, log: Callable[[str], None] = print) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.evals, self.model, self.metric, self.mode = evals, model, metric, mode
        self.patience, self.log = patience, log
        self.best_value = math.inf if mode == "min" else -math.inf
        self.best_iteration = -1
        self.evaluations = 0
        self.best_evaluation = -1
        self._best_state = copy.deepcopy(model.state_dict())
        self._seen: Optional[int] = None

    def _better(self, value: float) -> bool:
        return value < self.best_value if self.mode == "min" else value > self.best_value

    def _consider(self) -> None:
        latest = self.evals.latest
        if latest is None or latest[0] == self._seen:
            return
        self._seen = latest[0]
        value = float(latest[1][self.metric])
        if self._better(value):
            self.best_value, self.best_iteration = value, latest[0]
            self.best_evaluation = self.evaluations
            self._best_state = copy.deepcopy(self.model.state_dict())
        elif self.patience is not None and self.evaluations - self.best_evaluation >= self.patience:
            self.log(f"early stop: no {self.metric} improvement for {self.patience} evaluations")
            self.trainer.request_stop(EARLY_STOP)
        self.evaluations += 1

    def after_step(self) -> None:
        self._consider()

    def after_train(self) -> None:
        self._consider()
        self.model.load_state_dict(self._best_state)
