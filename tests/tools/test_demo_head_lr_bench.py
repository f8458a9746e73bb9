"""bench/demo_head_lr.py: the head learning rate chosen on held-out training videos."""
import csv
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from demo_head_lr import split_training_videos  # noqa: E402
from sgfb.utils.checkpoint import load_checkpoint  # noqa: E402


def _ids(path):
    with open(path, newline="") as f:
        return [r["id"] for r in csv.DictReader(f)]


def test_held_out_videos_are_a_seeded_disjoint_share_of_the_training_videos(sg_dataset,
                                                                            tmp_path):
    train = str(sg_dataset["charades"] / "Charades_v1_train.csv")
    split_training_videos(train, str(tmp_path), 1, seed=0)
    rest, held = _ids(tmp_path / "train.csv"), _ids(tmp_path / "val.csv")
    assert len(held) == 1 and sorted(rest + held) == sorted(_ids(train))
    split_training_videos(train, str(tmp_path / ".."), 1, seed=0)
    assert _ids(tmp_path / ".." / "val.csv") == held
    with pytest.raises(ValueError, match="cannot hold out 2 of 2"):
        split_training_videos(train, str(tmp_path), 2, seed=0)


@pytest.fixture(scope="module")
def banks(sg_dataset, tmp_path_factory):
    """Banks of the shared dataset's annotated frames (ground truth), standing in for the
    demo's predicted banks."""
    out = tmp_path_factory.mktemp("banks")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "extract_banks.py"),
                    "--annotations", str(sg_dataset["annotations"]), "--fps-table",
                    str(sg_dataset["charades"] / "video_fps.json"), "--out", str(out),
                    "--no-progress"], check=True, capture_output=True)
    return out


def run_bench(sg_dataset, banks, out, *args):
    """bench/demo_head_lr.py on the shared dataset, one held-out video, 2-iteration backbone;
    returns its results.json."""
    done = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "demo_head_lr.py"),
                           "--demo", str(sg_dataset["root"]), "--banks", str(banks),
                           "--out", str(out), "--held-out", "1", "--backbone-iters", "2", *args],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((out / "results.json").read_text())


def test_scores_every_rate_with_both_banks_on_the_held_out_videos(sg_dataset, banks, tmp_path):
    out = tmp_path / "run"
    results = run_bench(sg_dataset, banks, out, "--lrs", "0.001", "0.0003",
                        "--head-iters", "2", "3", "--head-seeds", "2")
    assert sorted(k for k in results if k.startswith("lr ")) == [
        "lr 0.0003 oracle", "lr 0.0003 oracle, 3 iterations", "lr 0.0003 predicted",
        "lr 0.0003 predicted, 3 iterations", "lr 0.001 oracle", "lr 0.001 oracle, 3 iterations",
        "lr 0.001 predicted", "lr 0.001 predicted, 3 iterations"]
    longer = json.loads((out / "lr_0.001_oracle_3_iterations" / "metrics.json").read_text())
    # each rate's number is the mean of its heads (--head-seeds), as in the demo
    heads = longer["head_seeds"]
    assert heads["seeds"] == [0, 1] and heads["mAP"][0] == longer["mAP"]
    assert results["lr 0.001 oracle, 3 iterations"] == heads["mean_mAP"]
    for name, iters in (("lr_0.001_oracle_3_iterations", 3), ("lr_0.001_oracle", 2)):
        config = load_checkpoint(str(out / name / "model.pt"))["config"]
        assert config["head_solver"]["max_iters"] == iters, name
    # each number is the mAP its run wrote (its heads' mean), on the held-out video
    assert results["backbone-only"] == json.loads((out / "backbone" / "metrics.json")
                                                  .read_text())["mAP"]
    for name in ("lr 0.001 predicted", "lr 0.001 oracle", "lr 0.0003 predicted",
                 "lr 0.0003 oracle"):
        run = json.loads((out / name.replace(" ", "_") / "metrics.json").read_text())
        assert results[name] == run["head_seeds"]["mean_mAP"]
    metrics = json.loads((out / "lr_0.0003_oracle" / "metrics.json").read_text())
    assert metrics["videos"] == 1                 # scored on the held-out video only
    assert metrics["banks"] == "oracle"


def test_compares_feature_bank_operators_on_one_backbone(sg_dataset, banks, tmp_path):
    out = tmp_path / "run"
    results = run_bench(sg_dataset, banks, out, "--lrs", "0.001", "--head-iters", "2",
                        "--fbo", "nl", "max", "--head-seeds", "1")
    assert sorted(k for k in results if k.startswith("lr ")) == [
        "lr 0.001 oracle", "lr 0.001 oracle, fbo max", "lr 0.001 predicted",
        "lr 0.001 predicted, fbo max"]
    for name, fbo in (("lr_0.001_oracle_fbo_max", "max"), ("lr_0.001_oracle", "nl")):
        assert load_checkpoint(str(out / name / "model.pt"))["config"]["model"]["fbo"] == fbo
        assert json.loads((out / name / "metrics.json").read_text())["fbo"] == fbo
    # every head read the clip features of one cache; a second run reuses the backbone
    assert len(os.listdir(out / "clip_features")) == 1
    backbone = out / "backbone" / "model.pt"
    stamp = backbone.stat().st_mtime_ns
    again = run_bench(sg_dataset, banks, out, "--lrs", "0.001", "--head-iters", "2",
                      "--head-seeds", "1")
    assert backbone.stat().st_mtime_ns == stamp
    assert again["backbone-only"] == results["backbone-only"]
    assert again["lr 0.001 oracle"] == results["lr 0.001 oracle"]     # deterministic heads
