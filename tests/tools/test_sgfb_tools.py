"""tools/train_sgfb.py end to end on a tiny synthetic dataset: oracle banks, every FBO, the
two-stage schedule, a 2-process DDP run, kill-and-resume, and the few-shot protocol."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from sgfb.utils.checkpoint import load_checkpoint
from process_util import kill_once_saved

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "tools", "train_sgfb.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}

TINY = ["model.backbone.arch=i3d_small", "model.backbone.num_frames=4",
        "model.backbone.sampling_rate=4", "model.backbone.crop_size=32", "data.scale_min=36",
        "data.scale_max=40", "data.test_views=2", "data.test_crops=1", "data.bank_slots=8",
        "device=cpu", "workers=0", "eval_batch_size=2"]
for prefix in ("solver", "head_solver"):
    TINY += [f"{prefix}.max_iters=3", f"{prefix}.batch_size=2", f"{prefix}.warmup_iters=0",
             f"{prefix}.log_every=1", f"{prefix}.checkpoint_every=1", f"{prefix}.lr=0.01"]


def data_args(sg):
    c = sg["charades"]
    return [f"data.videos={sg['videos']}", f"data.train_csv={c / 'Charades_v1_train.csv'}",
            f"data.test_csv={c / 'Charades_v1_test.csv'}",
            f"data.classes={c / 'Charades_v1_classes.txt'}", f"data.fps={c / 'video_fps.json'}",
            f"data.annotations={sg['annotations']}"]


def command(out, sg, *args, nproc=1):
    if nproc == 1:
        cmd = [sys.executable, TRAIN]
    else:
        cmd = [os.path.join(os.path.dirname(sys.executable), "torchrun"), "--standalone",
               f"--nproc_per_node={nproc}", TRAIN]
    return cmd + ["--out", str(out), "--no-progress", *TINY, *data_args(sg), *args]


def run(out, sg, *args, nproc=1):
    done = subprocess.run(command(out, sg, *args, nproc=nproc), env=ENV, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def losses(path):
    with open(path) as f:
        return [r["train/loss"] for r in map(json.loads, f) if "train/loss" in r]


@pytest.mark.parametrize("fbo", ["nl", "max", "none"])
def test_oracle_run_trains_evaluates_and_writes_a_complete_checkpoint(sg_dataset, tmp_path, fbo):
    out = tmp_path / fbo
    run(out, sg_dataset, "--fbo", fbo, *(["--oracle"] if fbo != "none" else []))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["fbo"] == fbo and metrics["videos"] == 1 and len(metrics["per_class_ap"]) == 18
    scored = [ap for ap in metrics["per_class_ap"].values() if ap is not None]
    assert scored and metrics["mAP"] == pytest.approx(sum(scored) / len(scored), abs=1e-6)
    assert metrics["chance_mAP"] == 1.0        # one test video: every ranking is perfect
    state = load_checkpoint(str(out / "model.pt"))
    assert state["format"] == "sgfb.action/1" and len(state["class_names"]) == 18
    assert state["preprocessing"]["num_frames"] == 4 and state["bank"]["fbo"] == (fbo != "none")
    if fbo != "none":
        assert sorted(os.listdir(out / "banks"))  # oracle banks were built
    assert len(losses(out / "train" / "metrics.jsonl")) == 3
    # the training videos' packet indices, kept for every epoch's new DataLoader workers
    stored = os.listdir(out / "video_index")
    assert stored and all(name.endswith(".npz") for name in stored)


def test_an_fbo_without_banks_is_refused(sg_dataset, tmp_path):
    done = subprocess.run(command(tmp_path / "x", sg_dataset, "--fbo", "mean"), env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "--oracle or --bank-dir" in done.stderr


def test_two_stage_schedule_freezes_the_backbone(sg_dataset, tmp_path):
    out = tmp_path / "two"
    run(out, sg_dataset, "--oracle", "--fbo", "mean", "--schedule", "two_stage")
    first = load_checkpoint(str(out / "backbone" / "last.pt"))["model"]
    final = load_checkpoint(str(out / "model.pt"))["model"]
    backbone = [k for k in first if k.startswith("backbone.")]
    assert backbone and all(torch.equal(first[k], final[k]) for k in backbone)
    assert len(losses(out / "head" / "metrics.jsonl")) == 3   # the head did train
    assert first["head.classifier.weight"].shape[1] == 512          # backbone-only head
    assert final["head.classifier.weight"].shape[1] == 512 + 875    # clip + FBO-mean bank


@pytest.mark.slow   # > 20 s on 2 cores
@pytest.mark.parametrize("cache", [0, 2])   # clips decoded / cached clip features (main
def test_two_processes_match_one_process(sg_dataset, tmp_path, cache):   # computes them)
    base = tmp_path / "base"
    run(base, sg_dataset, "--fbo", "none")
    curves = {}
    for name, nproc, batch in (("one", 1, 2), ("two", 2, 1)):
        out = tmp_path / name
        run(out, sg_dataset, "--oracle", "--fbo", "mean", "--schedule", "two_stage", "--init",
            str(base / "model.pt"), "model.dropout=0.0", f"head_solver.batch_size={batch}",
            f"head_cache_clips={cache}", "head_seeds=2", nproc=nproc)
        curves[name] = losses(out / "head" / "metrics.jsonl")
    assert len(curves["one"]) == 3 and len(set(curves["one"])) > 1
    np.testing.assert_allclose(curves["two"], curves["one"], rtol=1e-4)
    # the two processes scored half the test views each; gathered, the evaluation is one's
    one, two = (json.loads((tmp_path / n / "metrics.json").read_text()) for n in ("one", "two"))
    assert sorted(two["per_video"]) == sorted(one["per_video"]) and len(one["per_video"]) >= 1
    for video, scores in one["per_video"].items():
        np.testing.assert_allclose(two["per_video"][video], scores, rtol=1e-4, atol=1e-6)
    assert two["mAP"] == pytest.approx(one["mAP"], abs=1e-6)
    # the second head too, scored on each process's share of the test view features
    assert two["head_seeds"]["mAP"] == pytest.approx(one["head_seeds"]["mAP"], abs=1e-6)


@pytest.mark.slow   # about 40 s on 2 cores
def test_a_head_on_cached_clip_features_trains_and_shares_the_cache(sg_dataset, tmp_path):
    base, cache = tmp_path / "base", tmp_path / "cache"
    run(base, sg_dataset, "--fbo", "none")
    args = ["--oracle", "--schedule", "two_stage", "--init", str(base / "model.pt"),
            "head_cache_clips=2", f"head_cache_dir={cache}"]
    first = run(tmp_path / "nl", sg_dataset, "--fbo", "nl", *args)
    assert "4 clips (2 per video)" in first.stdout
    written = os.listdir(cache)
    assert len(written) == 1 and written[0].startswith("clip_features_")
    # another head on the same backbone reads the features instead of computing them
    second = run(tmp_path / "mean", sg_dataset, "--fbo", "mean", *args)
    assert "4 clips from" in second.stdout and os.listdir(cache) == written
    start = load_checkpoint(str(base / "model.pt"))["model"]
    for name in ("nl", "mean"):
        final = load_checkpoint(str(tmp_path / name / "model.pt"))["model"]
        backbone = [k for k in start if k.startswith("backbone.")]
        assert backbone and all(torch.equal(start[k], final[k]) for k in backbone)
        curve = losses(tmp_path / name / "head" / "metrics.jsonl")
        assert len(curve) == 3 and len(set(curve)) > 1     # the head did train
        assert json.loads((tmp_path / name / "metrics.json").read_text())["videos"] == 1


def test_a_head_on_cached_features_follows_the_decoding_heads_losses(sg_dataset, tmp_path):
    base = tmp_path / "base"
    run(base, sg_dataset, "--fbo", "none")
    curves, weights = {}, {}
    for name, clips in (("decoded", 0), ("cached", 3)):   # 3 iterations = 3 epochs here
        out = tmp_path / name
        run(out, sg_dataset, "--oracle", "--fbo", "nl", "--schedule", "two_stage", "--init",
            str(base / "model.pt"), f"head_cache_clips={clips}")
        curves[name] = losses(out / "head" / "metrics.jsonl")
        weights[name] = load_checkpoint(str(out / "model.pt"))["model"]
    assert len(curves["decoded"]) == 3 and len(set(curves["decoded"])) > 1
    np.testing.assert_allclose(curves["cached"], curves["decoded"], rtol=1e-5)
    for key, value in weights["decoded"].items():
        torch.testing.assert_close(weights["cached"][key], value, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("schedule", ["joint", "cached_head"])
def test_a_killed_run_resumes_to_the_uninterrupted_weights(sg_dataset, tmp_path, schedule):
    if schedule == "joint":
        args, stage = ["--oracle", "--fbo", "nl", "solver.max_iters=10"], "train"
    else:   # the head stage on cached clip features, killed after its cache was written
        args, stage = ["--oracle", "--fbo", "nl", "--schedule", "two_stage",
                       "head_cache_clips=2", "head_solver.max_iters=10"], "head"
    full, cut = tmp_path / "full", tmp_path / "cut"
    run(full, sg_dataset, *args)
    proc = subprocess.Popen(command(cut, sg_dataset, *args), env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    last = cut / stage / "last.pt"
    assert 2 <= kill_once_saved(proc, last, 2) < 10
    run(cut, sg_dataset, *args, "--resume")
    a = load_checkpoint(str(full / "model.pt"))["model"]
    b = load_checkpoint(str(cut / "model.pt"))["model"]
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert json.loads((full / "metrics.json").read_text())["mAP"] == \
        json.loads((cut / "metrics.json").read_text())["mAP"]


def test_few_shot_protocol_writes_the_split_and_novel_class_map(sg_dataset, tmp_path):
    out = tmp_path / "fs"
    # the tiny dataset has one action per video: train c000 and c017, test c002; seed 25
    # draws novel classes [0, 2, 7, 14], so base and novel both have videos
    run(out, sg_dataset, "--few-shot", "--oracle", "--fbo", "max", "--few-shot-epochs", "2",
        "few_shot.num_novel=4", "few_shot.seed=25", "few_shot.shots=[1]", "solver.batch_size=1")
    split = json.loads((out / "few_shot_split.json").read_text())
    assert len(split["novel"]) == 4 and len(split["base"]) == 14
    result = json.loads((out / "few_shot.json").read_text())
    assert set(result["shots"]) == {"1"}
    assert result["novel_classes"] == split["novel"] == [0, 2, 7, 14]
    one = result["shots"]["1"]
    assert one["train_videos"] == 1 and one["videos"] == result["test_videos"]
    # only c002 of the novel classes has test positives: the mAP is its AP, nothing else
    assert one["classes_with_positives"] == 1 and len(one["per_class_ap"]) == 4
    scored = [ap for ap in one["per_class_ap"].values() if ap is not None]
    assert len(scored) == 1 and one["mAP"] == pytest.approx(scored[0])


@pytest.mark.slow
def test_normalising_on_the_device_trains_and_evaluates_exactly_alike(sg_dataset, tmp_path):
    """data.normalize_on_device: uint8 crops out of the loader, normalised by the model; the
    same losses, weights and scores as the float loader, and the checkpoint says so."""
    runs = {}
    for flag in ("false", "true"):
        out = tmp_path / flag
        run(out, sg_dataset, "--oracle", "--fbo", "max", f"data.normalize_on_device={flag}")
        runs[flag] = out
    assert losses(runs["true"] / "train" / "metrics.jsonl") == \
        losses(runs["false"] / "train" / "metrics.jsonl")
    a, b = (load_checkpoint(str(runs[f] / "model.pt")) for f in ("false", "true"))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert (a["preprocessing"]["normalize_on_device"],
            b["preprocessing"]["normalize_on_device"]) == (False, True)
    metrics = [json.loads((runs[f] / "metrics.json").read_text()) for f in ("false", "true")]
    assert metrics[0]["per_video"] == metrics[1]["per_video"]
