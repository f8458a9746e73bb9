"""train_stsgn -> predict_stsgn -> evaluate_stsgn -> grid_stsgn, as a user runs them."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sgfb.synthetic import make_synthetic

ROOT = Path(__file__).resolve().parents[2]


def tool(name, *args):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / name), *map(str, args)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("stsgn") / "syn"
    make_synthetic(str(out), videos=24, seed=5, seconds=20.0, render=False)
    c = out / "charades"
    return {"ann": out / "annotations", "csv": [c / "Charades_v1_train.csv", c / "Charades_v1_test.csv"],
            "fps": c / "video_fps.json", "classes": c / "Charades_v1_classes.txt"}


@pytest.mark.slow   # > 20 s on 2 cores
def test_train_predict_evaluate(world, tmp_path):
    out = tmp_path / "run"
    printed = tool("train_stsgn.py", "--annotations", world["ann"], "--charades", *world["csv"],
                   "--classes", world["classes"], "--fps-table", world["fps"], "--task", "video",
                   "--window", "5", "--model", "gine-person-gru", "--out", out, "--no-progress",
                   "train.max_epochs=2", "model.hidden=32", "model.channels=64")
    assert "checkpoint:" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["metrics"]) == {"train", "val", "test"}
    assert len(metrics["history"]) == 2
    assert "hidden: 32" in (out / "config.yaml").read_text()

    test_videos = set(metrics_split(out)["test"])
    for level in ("frame", "video"):
        scores = tmp_path / f"{level}.csv"
        printed = tool("predict_stsgn.py", "--checkpoint", out / "model.pt", "--annotations",
                       world["ann"], "--fps-table", world["fps"], "--level", level, "--out", scores)
        assert "of the test split" in printed
        with open(scores, newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0][0] == ("frame_key" if level == "frame" else "video_id")
        assert rows[0][1:5] == ["split", "c000", "c001", "c002"] and len(rows[0]) == 2 + 18
        # by default only the videos the checkpoint was not trained or validated on
        assert {r[0].split("/")[0].replace(".mp4", "") for r in rows[1:]} == test_videos
        assert {r[1] for r in rows[1:]} == {"test"}
        assert all(0.0 <= float(v) <= 1.0 for v in rows[1][2:])
        result = json.loads(tool("evaluate_stsgn.py", "--predictions", scores,
                                 "--charades", *world["csv"], "--fps-table", world["fps"],
                                 "--classes", world["classes"],
                                 "--per-class-json", tmp_path / "ap.json",
                                 "--per-class-table", tmp_path / "ap.md"))
        assert result["level"] == level and result["split"] == "test"
        assert 0.0 < result["mAP"] <= 1.0
        assert result["samples"] == len(rows) - 1
        ap = json.loads((tmp_path / "ap.json").read_text())["ap"]
        assert len(ap) == result["classes_scored"]
        assert sum(v["ap"] for v in ap.values()) / len(ap) == pytest.approx(result["mAP"])
        values = [float(l.split("|")[3]) for l in (tmp_path / "ap.md").read_text().splitlines()[2:]]
        assert values == sorted(values, reverse=True) and len(values) == len(ap)

    mixed = tmp_path / "all.csv"
    tool("predict_stsgn.py", "--checkpoint", out / "model.pt", "--annotations", world["ann"],
         "--fps-table", world["fps"], "--level", "video", "--split", "all", "--out", mixed)
    with open(mixed, newline="") as f:
        assert {r[1] for r in list(csv.reader(f))[1:]} == {"train", "val", "test"}
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "evaluate_stsgn.py"),
                           "--predictions", str(mixed), "--charades", *map(str, world["csv"])],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "rows of several splits" in proc.stderr
    assert "Traceback" not in proc.stderr


def metrics_split(run_dir):
    import torch
    return torch.load(run_dir / "model.pt", weights_only=True)["split"]


def test_grid_writes_the_papers_table(world, tmp_path):
    table = tmp_path / "grid.md"
    tool("grid_stsgn.py", "--annotations", world["ann"], "--charades", *world["csv"],
         "--fps-table", world["fps"], "--task", "trimmed", "--out", table,
         "train.max_epochs=1", "train.eval_train=false", "model.hidden=8",
         "model.channels=16")
    lines = table.read_text().splitlines()
    assert lines[0] == "| Model + Readout | Max | Mean | GRU | biGRU |"
    assert [l.split("|")[1].strip() for l in lines[2:12]] == [
        "RelMat", "CG Max", "CG Mean", "CG Person", "NN Max", "NN Mean", "NN Person",
        "GINE Max", "GINE Mean", "GINE Person"]


def test_bad_model_name_is_a_clear_error(world, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "train_stsgn.py"),
                           "--annotations", str(world["ann"]), "--charades", *map(str, world["csv"]),
                           "--model", "gine-sum-gru", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "unknown model 'gine-sum-gru'" in proc.stderr


def test_config_file_values_survive_unset_flags(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("train_stsgn", ROOT / "tools" / "train_stsgn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model:\n  name: relmat-max\ndata:\n  window: 5\n  fps: /x/fps.json\n  task: video\n")
    config = module.build_config(module.parse_args(
        ["--annotations", "a", "--charades", "c.csv", "--out", "o", "--config", str(cfg)]))
    assert (config.model.name, config.data.window, config.data.fps, config.data.task) == \
        ("relmat-max", 5.0, "/x/fps.json", "video")
    config = module.build_config(module.parse_args(
        ["--annotations", "a", "--charades", "c.csv", "--out", "o", "--config", str(cfg),
         "--model", "gine-mean-gru", "--window", "2", "data.graphs=1e5"]))
    assert (config.model.name, config.data.window, config.data.graphs) == ("gine-mean-gru", 2.0, "1e5")
    config = module.build_config(module.parse_args(
        ["--annotations", "a", "--charades", "c.csv", "--out", "o", "--task", "video"]))
    assert config.data.window == 10.0 and config.data.task == "video"
