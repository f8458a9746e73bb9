import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from sgfb.utils.checkpoint import load_checkpoint
from process_util import kill_once_saved
from sgfb.data.epoch_items import EpochItems
from sgfb.training.sampler import ResumableBatchSampler
from sgfb.training.solver import SolverConfig, lr_factor

HERE = os.path.dirname(os.path.abspath(__file__))
TOY = os.path.join(HERE, "toy_train.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def losses(out):
    with open(os.path.join(out, "metrics.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    return {r["iteration"]: r["train/loss"] for r in rows if "train/loss" in r}


def weights(out):
    return load_checkpoint(os.path.join(out, "last.pt"))["model"]


def run_toy(out, batch, iters, *extra, nproc=1):
    if nproc == 1:
        cmd = [sys.executable, TOY, out, str(batch), str(iters), *extra]
    else:
        torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
        cmd = [torchrun, "--standalone", f"--nproc_per_node={nproc}", TOY, out, str(batch),
               str(iters), *extra]
    subprocess.run(cmd, check=True, env=ENV, capture_output=True, timeout=300)


def test_sampler_is_a_function_of_the_iteration():
    s = ResumableBatchSampler(10, 3, seed=1)
    assert s.batches_per_epoch == 3
    all_batches = [b for _, bs in s.epoch_batches(0, 7) for b in bs]
    resumed = [b for _, bs in s.epoch_batches(4, 7) for b in bs]
    assert resumed == all_batches[4:]
    epoch0 = sorted(sum(all_batches[:3], []))
    assert len(set(epoch0)) == 9  # no repeats inside an epoch, one sample dropped


def test_processes_split_the_global_batch():
    one = ResumableBatchSampler(12, 4, seed=3)
    parts = [ResumableBatchSampler(12, 2, rank=r, world_size=2, seed=3) for r in range(2)]
    for it in range(6):
        assert parts[0].batch(it)[1] + parts[1].batch(it)[1] == one.batch(it)[1]


def test_item_batches_name_each_item_with_its_epoch():
    s = ResumableBatchSampler(5, 2, seed=4)  # 2 batches per epoch
    got = list(s.item_batches(1, 4))
    assert got == [[(0, i) for i in s.batch(1)[1]], [(1, i) for i in s.batch(2)[1]],
                   [(1, i) for i in s.batch(3)[1]]]


class EpochEcho:
    """Item ``i`` of epoch ``e`` is ``(e, i, pid)``."""

    def __init__(self):
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = epoch

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.tensor([self.epoch, i, os.getpid()])


def test_epoch_items_select_the_epoch_before_reading():
    items = EpochItems(EpochEcho())
    assert len(items) == 4
    assert items[(3, 1)][:2].tolist() == [3, 1] and items[(0, 2)][:2].tolist() == [0, 2]
    assert EpochItems([10, 11])[(5, 1)] == 11  # datasets without set_epoch read as they are


def test_one_worker_process_serves_every_epoch(tmp_path):
    from sgfb.training.trainer import Trainer
    from sgfb.utils.distributed import DistInfo

    seen = []

    def record(model, batch):
        seen.append(batch)
        return {"loss": model(torch.ones(1, 1)).sum() * 0}

    solver = SolverConfig(optimizer="sgd", lr=0.1, max_iters=6, warmup_iters=0, steps=[],
                          batch_size=2, checkpoint_every=100, log_every=100, amp=False,
                          num_workers=1)
    trainer = Trainer(torch.nn.Linear(1, 1), record, EpochEcho(),
                      torch.utils.data.default_collate, solver, str(tmp_path),
                      DistInfo(0, 1, 0, torch.device("cpu")), progress=False,
                      log=lambda m: None)
    trainer.train()
    sampler = ResumableBatchSampler(4, 2, seed=solver.seed)
    assert [b[:, 0].tolist() for b in seen] == [[it // 2] * 2 for it in range(6)]
    assert [b[:, 1].tolist() for b in seen] == [sampler.batch(it)[1] for it in range(6)]
    pids = {int(p) for b in seen for p in b[:, 2]}
    assert len(pids) == 1 and os.getpid() not in pids  # one worker for the 3 epochs


def test_sampler_rejects_a_dataset_smaller_than_a_batch():
    with pytest.raises(ValueError, match="smaller than one global batch"):
        ResumableBatchSampler(3, 2, rank=0, world_size=2)


def test_lr_schedule_warmup_and_steps():
    cfg = SolverConfig(warmup_iters=4, warmup_factor=0.2, steps=[6, 8], gamma=0.1)
    assert lr_factor(0, cfg) == pytest.approx(0.2)
    assert lr_factor(2, cfg) == pytest.approx(0.6)
    assert lr_factor(4, cfg) == pytest.approx(1.0)
    assert lr_factor(6, cfg) == pytest.approx(0.1)
    assert lr_factor(9, cfg) == pytest.approx(0.01)


def test_two_processes_match_one_process_with_the_same_global_batch(tmp_path):
    run_toy(str(tmp_path / "one"), 4, 6, "--no-dropout")
    run_toy(str(tmp_path / "two"), 2, 6, "--no-dropout", nproc=2)
    a, b = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert sorted(a) == sorted(b) == list(range(1, 7))
    assert len(set(a.values())) > 1  # the loss moves, so equal curves mean equal training
    for it in a:
        assert b[it] == pytest.approx(a[it], rel=1e-5, abs=1e-7)
    w1, w2 = weights(tmp_path / "one"), weights(tmp_path / "two")
    for k in w1:
        torch.testing.assert_close(w1[k], w2[k], rtol=1e-5, atol=1e-6)


def test_resume_after_sigkill_ends_with_the_uninterrupted_weights(tmp_path):
    full, cut = str(tmp_path / "full"), str(tmp_path / "cut")
    run_toy(full, 4, 12)
    proc = subprocess.Popen([sys.executable, TOY, cut, "4", "12", "--sleep", "1.0"], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stopped_at = kill_once_saved(proc, os.path.join(cut, "last.pt"), 3, timeout=120)
    assert 3 <= stopped_at < 12
    partial = os.path.join(cut, ".tmp-999999999-kx1.pt")  # what a kill mid-save leaves
    with open(partial, "wb") as f:
        f.write(b"\x80\x02truncated")
    run_toy(cut, 4, 12, "--resume")
    assert not os.path.exists(partial)
    w_full, w_cut = weights(full), weights(cut)
    for k in w_full:
        assert torch.equal(w_full[k], w_cut[k]), k
    assert losses(full) == losses(cut)
    assert load_checkpoint(os.path.join(cut, "last.pt"))["config"] == {"toy": 1}


def test_sigterm_saves_and_stops_cleanly(tmp_path):
    out = str(tmp_path / "term")
    proc = subprocess.Popen([sys.executable, TOY, out, "4", "50", "--sleep", "0.2"], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not os.path.exists(os.path.join(out, "last.pt")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    it = load_checkpoint(os.path.join(out, "last.pt"))["iteration"]
    assert 1 <= it < 50
