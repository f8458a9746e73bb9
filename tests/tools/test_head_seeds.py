"""head_seeds=N: the bank head trained N times on one frozen backbone (tools/train_sgfb.py)."""
import json
import os
import signal
import subprocess
import time

import pytest
import torch

from sgfb.training.action_config import ActionConfig
from sgfb.utils.checkpoint import load_checkpoint
from test_sgfb_tools import ENV, command, losses, run


@pytest.fixture(scope="module")
def base(sg_dataset, tmp_path_factory):
    """The backbone-only run (and what it printed), from a config that asks for 2 heads."""
    out = tmp_path_factory.mktemp("base")
    return out, run(out, sg_dataset, "--fbo", "none", "head_seeds=2")


def head_args(base, cache, *more):
    return ["--oracle", "--fbo", "nl", "--schedule", "two_stage", "--init",
            str(base[0] / "model.pt"), "head_cache_clips=2", f"head_cache_dir={cache}",
            "head_solver.seed=3", *more]


def weights(path):
    return load_checkpoint(str(path))["model"]


def test_every_head_is_the_run_of_its_own_seed(sg_dataset, base, tmp_path):
    cache = tmp_path / "cache"
    done = run(tmp_path / "three", sg_dataset, *head_args(base, cache, "head_seeds=3"))
    alone = tmp_path / "seed5"
    run(alone, sg_dataset, *head_args(base, cache, "head_solver.seed=5"))
    assert len(os.listdir(cache)) == 1      # every head read the one clip cache

    three = json.loads((tmp_path / "three" / "metrics.json").read_text())
    heads = three["head_seeds"]
    assert heads["seeds"] == [3, 4, 5]
    assert heads["mAP"][0] == three["mAP"]  # model.pt is the first head
    assert heads["mAP"][2] == json.loads((alone / "metrics.json").read_text())["mAP"]
    assert heads["mean_mAP"] == pytest.approx(sum(heads["mAP"]) / 3)
    assert heads["min_mAP"] == min(heads["mAP"]) and heads["max_mAP"] == max(heads["mAP"])
    assert "3 bank heads (head_seeds): mean mAP" in done.stdout
    # the test views were decoded once; each head scored their features (the same numbers)
    assert "test views decoded once for the 3 bank heads" in done.stdout

    # the third head is exactly the run of seed 5; the heads differ; the backbone is frozen
    last = tmp_path / "three" / "head_seeds" / "seed5"
    assert losses(last / "head" / "metrics.jsonl") == losses(alone / "head" / "metrics.jsonl")
    for key, value in weights(alone / "model.pt").items():
        assert torch.equal(weights(last / "model.pt")[key], value), key
    first, second = weights(tmp_path / "three" / "model.pt"), \
        weights(tmp_path / "three" / "head_seeds" / "seed4" / "model.pt")
    start = weights(base[0] / "model.pt")
    head_keys = [k for k in first if k.startswith("head.")]
    assert any(not torch.equal(first[k], second[k]) for k in head_keys)
    for key in (k for k in start if k.startswith("backbone.")):
        assert torch.equal(first[key], start[key]) and torch.equal(second[key], start[key])
    assert load_checkpoint(str(last / "model.pt"))["config"]["head_solver"]["seed"] == 5


def test_a_run_stopped_in_a_further_head_resumes_to_the_uninterrupted_heads(
        sg_dataset, base, tmp_path):
    args = head_args(base, tmp_path / "cache", "head_seeds=2", "head_solver.max_iters=20")
    full, cut = tmp_path / "full", tmp_path / "cut"
    run(full, sg_dataset, *args)
    proc = subprocess.Popen(command(cut, sg_dataset, *args), env=ENV, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = cut / "head_seeds" / "seed4" / "head" / "last.pt"
    deadline = time.time() + 300
    while time.time() < deadline and not last.exists():
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)       # a scheduler's stop: the head saves and says how
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 143, err[-2000:]
    assert f"bank head seed 4 stopped; resume with --resume ({cut})" in err
    assert load_checkpoint(str(last))["iteration"] < 20
    run(cut, sg_dataset, *args, "--resume")
    for name in ("model.pt", "head_seeds/seed4/model.pt"):
        a, b = weights(full / name), weights(cut / name)
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert json.loads((full / "metrics.json").read_text())["head_seeds"] == \
        json.loads((cut / "metrics.json").read_text())["head_seeds"]


def test_one_head_writes_no_head_seeds(sg_dataset, base, tmp_path):
    out = tmp_path / "one"
    done = run(out, sg_dataset, *head_args(base, tmp_path / "cache"))
    assert "head_seeds" not in json.loads((out / "metrics.json").read_text())
    assert not (out / "head_seeds").exists() and "bank heads" not in done.stdout


def test_a_run_without_a_frozen_backbone_head_says_it_ignores_head_seeds(base):
    out, done = base
    assert "head_seeds=2 ignored: this run trains no bank head on a frozen backbone " \
        "(schedule joint, fbo none)" in done.stdout
    assert "head_seeds" not in json.loads((out / "metrics.json").read_text())
    assert not (out / "head_seeds").exists()


def test_fewer_than_one_head_is_refused():
    cfg = ActionConfig()
    cfg.data.videos = cfg.data.train_csv = cfg.data.test_csv = "x"
    cfg.head_seeds = 0
    with pytest.raises(ValueError, match="head_seeds must be 1 or more, got 0"):
        cfg.check()
