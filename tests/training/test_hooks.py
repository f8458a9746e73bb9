"""The loop and its hooks on a counting trainer: exact call order, stops, windows, best weights."""
import json

import pytest
import torch
from torch import nn

from sgfb.training.hooks import (EARLY_STOP, BestWeights, Checkpointer, EvalHook, MetricsWriter,
                                 Preemption)
from sgfb.training.loop import HookBase, SimpleTrainer, TrainerBase
from sgfb.utils.checkpoint import load_checkpoint
from sgfb.utils.distributed import DistInfo

INFO = DistInfo(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))


class Counting(TrainerBase):
    def run_step(self):
        return {"loss": float(self.iteration)}


class Stepping(TrainerBase):
    """Sets the model's one weight to the number of the step it runs (1, 2, ...)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def run_step(self):
        with torch.no_grad():
            self.model.weight.fill_(float(self.iteration + 1))
        return {}


class Recorder(HookBase):
    def __init__(self, name, events, stop_at=None):
        self.name, self.events, self.stop_at = name, events, stop_at

    def before_train(self):
        self.events.append((self.name, "before_train", self.trainer.iteration))

    def before_step(self):
        self.events.append((self.name, "before_step", self.trainer.iteration))

    def after_step(self):
        self.events.append((self.name, "after_step", self.trainer.iteration))
        if self.trainer.iteration == self.stop_at:
            self.trainer.request_stop("test")

    def after_train(self):
        self.events.append((self.name, "after_train", self.trainer.iteration))

    def close(self):
        self.events.append((self.name, "close", self.trainer.iteration))


def test_hooks_are_called_in_registration_order_around_every_step():
    events = []
    trainer = Counting()
    trainer.register_hooks([Recorder("a", events), None, Recorder("b", events)])
    trainer.train(3, 5)
    assert events == [
        ("a", "before_train", 3), ("b", "before_train", 3),
        ("a", "before_step", 3), ("b", "before_step", 3),
        ("a", "after_step", 4), ("b", "after_step", 4),
        ("a", "before_step", 4), ("b", "before_step", 4),
        ("a", "after_step", 5), ("b", "after_step", 5),
        ("a", "after_train", 5), ("b", "after_train", 5),
        ("a", "close", 5), ("b", "close", 5)]
    assert trainer.last_values == {"loss": 4.0} and trainer.stop_reason is None


def test_a_stop_request_ends_training_after_the_current_step():
    events = []
    trainer = Counting()
    trainer.register_hooks([Recorder("a", events, stop_at=2), Recorder("b", events)])
    trainer.train(0, 10)
    assert trainer.iteration == 2 and trainer.stop_reason == "test"
    assert ("b", "after_step", 2) in events and ("a", "before_step", 2) not in events


def test_metrics_writer_writes_window_means_and_records_of_other_hooks(tmp_path):
    trainer = Counting()
    writer = MetricsWriter(str(tmp_path), INFO, period=2, progress=False)
    trainer.register_hooks([writer])
    trainer.train(0, 5)
    trainer.write({"iteration": 5, "val/x": 0.5})
    writer.close()
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(r["iteration"], r.get("train/loss"), r.get("val/x")) for r in records] == [
        (2, 0.5, None), (4, 2.5, None), (5, 4.0, None), (5, None, 0.5)]
    assert writer.last == {"loss": 4.0}
    assert (tmp_path / "tb").is_dir()


def test_metrics_writer_drops_records_a_resumed_run_redoes(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(
        '{"iteration": 2, "a": 1}\n{"iteration": 4, "a": 2}\n{"iterat')
    trainer = Counting()
    writer = MetricsWriter(str(tmp_path), INFO, period=100, progress=False)
    trainer.register_hooks([writer])
    trainer.train(3, 4)
    writer.close()
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["iteration"] for x in lines] == [2, 4]
    assert json.loads(lines[1]).get("train/loss") == 3.0


def test_checkpointer_saves_every_period_and_at_the_end(tmp_path):
    saved = []
    trainer = Counting()
    path = str(tmp_path / "last.pt")
    trainer.register_hooks([Checkpointer(path, lambda: saved.append(trainer.iteration) or
                                         {"iteration": trainer.iteration}, INFO, period=2)])
    trainer.train(0, 5)
    assert saved == [2, 4, 5] and load_checkpoint(path)["iteration"] == 5


def test_eval_hook_evaluates_periodically_and_once_at_the_end():
    calls = []
    model = nn.Linear(1, 1)
    trainer = Counting()
    evals = EvalHook(lambda m: calls.append(trainer.iteration) or {"m": float(trainer.iteration)},
                     model, INFO, period=2, log=lambda s: None)
    trainer.register_hooks([evals])
    trainer.train(0, 4)
    assert calls == [2, 4] and evals.final == {"m": 4.0}


def test_best_weights_keeps_the_best_and_stops_after_patience_evaluations():
    model = nn.Linear(1, 1, bias=False)
    values = iter([3.0, 2.0, 2.5, 2.6, 2.7, 1.0])

    trainer = Stepping(model)
    evals = EvalHook(lambda m: {"val_loss": next(values)}, model, INFO, period=1,
                     log=lambda s: None)
    best = BestWeights(evals, model, "val_loss", "min", patience=2, log=lambda s: None)
    trainer.register_hooks([evals, best])
    trainer.train(0, 6)
    # evaluations 3.0 (it 1), 2.0 (it 2), 2.5, 2.6 (it 4): two without improvement -> stop
    assert trainer.stop_reason == EARLY_STOP and trainer.iteration == 4
    assert best.best_iteration == 2 and best.best_value == 2.0
    assert float(model.weight.detach()) == 2.0   # the weights after iteration 2


def test_best_weights_in_max_mode_keeps_the_first_of_equal_values():
    model = nn.Linear(1, 1, bias=False)
    values = iter([0.1, 0.4, 0.4, 0.2])

    trainer = Stepping(model)
    evals = EvalHook(lambda m: {"mAP": next(values)}, model, INFO, period=1, log=lambda s: None)
    best = BestWeights(evals, model, "mAP", "max", log=lambda s: None)
    trainer.register_hooks([evals, best])
    trainer.train(0, 4)
    assert trainer.stop_reason is None and best.best_iteration == 2
    assert float(model.weight.detach()) == 2.0


def test_simple_trainer_steps_the_optimizer_and_refuses_a_non_finite_loss():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    batches = lambda start: iter([torch.ones(1, 1)] * 10)  # noqa: E731

    def step(m, x):
        return {"l": (m(x) ** 2).sum()}   # d/dw w^2 = 2w

    trainer = SimpleTrainer(model, step, batches, optimizer)
    trainer.train(0, 1)
    assert float(model.weight.detach()) == 0.0 and trainer.last_values == {"l": 1.0, "loss": 1.0}
    trainer = SimpleTrainer(model, lambda m, x: {"l": m(x).sum() / 0.0}, batches, optimizer)
    try:
        trainer.train(0, 1)
    except FloatingPointError as exc:
        assert "at iteration 0" in str(exc)
    else:
        raise AssertionError("a NaN loss was accepted")


def test_preemption_hook_stops_at_the_next_step_and_restores_the_handler():
    import signal
    before = signal.getsignal(signal.SIGTERM)
    trainer = Counting()
    hook = Preemption(INFO)

    class Kill(HookBase):
        def after_step(self):
            if self.trainer.iteration == 2:
                hook._handle(signal.SIGTERM, None)

    trainer.register_hooks([Kill(), hook])
    trainer.train(0, 10)
    assert trainer.iteration == 2 and trainer.stop_reason == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


def test_after_backward_sees_the_gradients_before_clipping_and_the_step():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(3.0)
    seen = []

    class Grads(HookBase):
        def after_backward(self):
            seen.append((float(model.weight.grad), float(model.weight.detach())))

    def step(m, x):
        return {"l": (m(x) ** 2).sum()}   # d/dw w^2 = 2w = 6

    trainer = SimpleTrainer(model, step, lambda start: iter([torch.ones(1, 1)] * 2),
                            torch.optim.SGD(model.parameters(), lr=0.1), clip_grad=1.0)
    trainer.register_hooks([Grads()])
    trainer.train(0, 1)
    assert seen == [(6.0, 3.0)]                       # unclipped, weight not yet stepped
    assert float(model.weight.detach()) == pytest.approx(3.0 - 0.1 * 1.0)   # clipped to 1
    assert torch.equal(trainer.last_batch, torch.ones(1, 1))


def test_best_weights_with_patience_zero_stops_at_the_first_evaluation_without_improvement():
    model = nn.Linear(1, 1, bias=False)
    values = iter([2.0, 1.0, 1.5, 0.5])
    trainer = Stepping(model)
    evals = EvalHook(lambda m: {"val_loss": next(values)}, model, INFO, period=1,
                     log=lambda s: None)
    best = BestWeights(evals, model, "val_loss", "min", patience=0, log=lambda s: None)
    trainer.register_hooks([evals, best])
    trainer.train(0, 4)
    assert trainer.iteration == 3 and best.best_iteration == 2
    assert float(model.weight.detach()) == 2.0
