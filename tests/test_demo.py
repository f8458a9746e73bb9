import importlib.util
import json
import os
import subprocess
import sys

import pytest

from sgfb.data.charades import Charades
from sgfb.data.video import open_video
from sgfb.feature_bank.bank import bank_path, load_bank
from sgfb.feature_bank.video_banks import sampled_indices
from sgfb.inference.result import read_result_json
from sgfb.demo import (TABLE, DemoConfig, format_table, head_mean, run_demo,
                       set_iterations)
from sgfb.training.action import head_seed_summary
from sgfb.training.solver import SolverConfig


@pytest.mark.slow
def test_demo_runs_the_whole_job_end_to_end(tmp_path):
    lines = []
    config = DemoConfig(videos=5, seconds=4.0, seed=0, workers=1, detector_iters=2,
                        relation_iters=2, backbone_iters=2, head_iters=2, head_seeds=2,
                        infer_videos=1)
    result = run_demo(str(tmp_path), config, log=lines.append)
    m = result.metrics
    assert sorted(m) == sorted(key for key, _ in TABLE)
    for key, _ in TABLE:
        assert m[key] == m[key]          # measured (not NaN)
    assert m["chance mAP"] == 1.0        # one test video: every ranking is perfect
    [path] = result.inference_paths
    prediction = read_result_json(path)
    assert prediction.actions and prediction.sampled_frames
    checkpoints = prediction.provenance["checkpoints"]
    assert checkpoints["scene_graph"]["data_kind"] == "synthetic"
    assert checkpoints["scene_graph"]["config_name"] == "demo_synthetic.yaml"
    assert checkpoints["action"]["data_kind"] == "synthetic"
    assert prediction.provenance["warnings"] == []      # synthetic model, synthetic video
    assert os.path.exists(path[:-len(".json")] + ".annotated.mp4")
    assert os.path.exists(result.outputs["report"])
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["metrics"] == m and saved["outputs"] == result.outputs
    assert saved["config"]["test_videos"] == 1                      # a third of 5
    assert saved["config"]["empty_video_share"] == 0.0
    assert saved["config"]["seed"] == saved["config"]["world_seed"] == 0
    assert any(line.startswith("[1/5]") and "0% action-less (world seed 0)" in line
               for line in lines)
    assert len(Charades.load(str(tmp_path / "dataset" / "charades" / "Charades_v1_test.csv"))) == 1
    records = saved["provenance"]["checkpoints"]
    assert sorted(records) == ["backbone_only", "scene_graph", "sgfb", "sgfb_oracle"]
    assert all(r["data_kind"] == "synthetic" and r["sha256"] != "unknown"
               for r in records.values())
    assert records["sgfb"]["config_name"] == "demo_synthetic.yaml"
    # the bank heads (two per SGFB row) trained on one frozen backbone's cached clip features
    assert len(os.listdir(tmp_path / "clip_features")) == 1
    assert saved["heads"] == result.heads
    for row, run in (("SGFB predicted mAP", "sgfb"), ("SGFB oracle mAP", "sgfb_oracle")):
        heads = saved["heads"][row]
        assert heads["seeds"] == [0, 1] and m[row] == pytest.approx(sum(heads["mAP"]) / 2)
        assert json.loads((tmp_path / run / "metrics.json").read_text())["head_seeds"] == heads
        assert (tmp_path / run / "head_seeds" / "seed1" / "model.pt").exists()
    assert saved["machine"]["cpus"] >= 1 and "omp_wait_policy" in saved["machine"]
    assert len(saved["machine"]["load_average_1_5_15_min"]["start"]) == 3
    stolen = saved["machine"]["hypervisor_steal_cpu_seconds"]
    assert stolen is None or stolen >= 0.0
    assert set(saved["seconds"]) >= {"dataset", "stage 1 training", "inference", "total"}
    steps = [v for k, v in saved["seconds"].items() if k != "total"]
    for clock in ("wall", "cpu"):   # the total is the steps' sum, each step measured
        assert all(v[clock] >= 0 for v in steps)
        assert saved["seconds"]["total"][clock] == pytest.approx(
            sum(v[clock] for v in steps), abs=0.05 * len(steps))
    # the second process's jobs report their own seconds; its step's CPU holds all of them
    jobs = saved["second_process_seconds"]
    assert sorted(jobs) == ["stage 2 SGFB head, oracle banks (second process)",
                            "stage 2 backbone-only (second process)"]
    assert all(v["cpu"] > 0 and v["wall"] > 0 for v in jobs.values())
    assert saved["seconds"]["second process (backbone-only model, oracle head)"]["cpu"] >= \
        sum(v["cpu"] for v in jobs.values()) - 0.2
    assert saved["machine"]["threads_while_two_processes_train"]["second"] >= 1
    # stage 1's printed line carries the recorded numbers
    assert "    " + ", ".join(f"{k} {m[k]:.3f}" for k, _ in TABLE[:4]) in lines
    table = format_table(m, result.heads)
    assert "SGDet R@20" in table and "SGFB, oracle banks" in table
    assert "SGFB, oracle banks mAP: mean of 2 bank heads (seeds 0-1)" in table
    assert any(line.startswith("[5/5]") for line in lines)
    assert any(line.startswith("[2/5]") and "its SGFB 2 heads (2 iterations each) with oracle "
               "banks" in line for line in lines)
    assert "[4/5] stage 2: SGFB 2 heads (2 iterations each) with predicted banks on the " \
        "frozen backbone" in lines
    # predicted banks: every video's frames once a second, annotated or not
    videos = sorted(os.path.splitext(v)[0] for v in os.listdir(tmp_path / "dataset" / "videos"))
    assert sorted(os.listdir(tmp_path / "banks")) == [f"{v}.npz" for v in videos]
    for v in videos:
        bank = load_bank(bank_path(str(tmp_path / "banks"), v))
        with open_video(str(tmp_path / "dataset" / "videos" / f"{v}.mp4")) as reader:
            picked = sampled_indices(reader.num_frames, reader.fps, 1.0)
            assert bank.times.tolist() == pytest.approx(reader.timestamps()[picked].tolist())
        assert len(bank) == 4                                       # 4-s videos


def test_format_table_lists_measured_rows_in_order():
    table = format_table({"SGFB oracle mAP": 0.5, "detector mAP@0.5": 0.25})
    lines = table.split("\n")
    assert lines[2].startswith("stage 1  detector mAP@0.5") and lines[2].endswith("0.250")
    assert lines[3].startswith("stage 2  SGFB, oracle banks mAP") and lines[3].endswith("0.500")
    assert len(lines) == 4


def test_the_table_says_how_many_heads_each_sgfb_row_averages():
    heads = {"SGFB predicted mAP": head_seed_summary([(3, 0.5), (4, 0.25), (5, 0.375)]),
             "SGFB oracle mAP": None}
    table = format_table({"SGFB predicted mAP": 0.375, "SGFB oracle mAP": 0.5}, heads)
    assert table.split("\n")[-1] == ("SGFB, predicted banks mAP: mean of 3 bank heads "
                                     "(seeds 3-5) on one backbone, each 0.250-0.500")
    assert len(table.split("\n")) == 5        # nothing said of the one-head oracle row
    assert head_mean({"mAP": 0.5, "head_seeds": heads["SGFB predicted mAP"]}) == 0.375
    assert head_mean({"mAP": 0.5}) == 0.5


def test_the_demo_holds_out_a_third_of_its_videos_unless_told():
    assert DemoConfig().held_out == 16 and DemoConfig().videos == 48
    assert DemoConfig().empty_video_share == 0.0       # a world without action-less videos
    assert DemoConfig(videos=9).held_out == 3
    assert DemoConfig(videos=9, test_videos=2).held_out == 2


def test_the_training_seed_leaves_the_demos_world_unless_one_is_given(monkeypatch, tmp_path):
    """tools/demo.py --seed varies the training only; --world-seed picks another world."""
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")     # what importing the tool sets
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("demo_tool",
                                                  os.path.join(root, "tools", "demo.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    seen = []

    class Stop(Exception):
        pass

    def fake_run_demo(out_dir, config):
        seen.append(config)
        raise Stop
    monkeypatch.setattr(tool, "run_demo", fake_run_demo)
    for args in (["--seed", "3"], ["--seed", "3", "--world-seed", "2"], []):
        with pytest.raises(Stop):
            tool.main(["--out", str(tmp_path / "o"), *args])
    assert [(c.seed, c.world_seed) for c in seen] == [(3, 0), (3, 2), (0, 0)]


def test_demo_tool_refuses_a_split_without_training_videos(tmp_path):
    tool = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools",
                        "demo.py")
    proc = subprocess.run([sys.executable, tool, "--out", str(tmp_path / "o"), "--videos", "6",
                           "--test-videos", "6"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--test-videos must be below --videos (6), got 6" in proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("given, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_demo_tool_lets_openmp_threads_sleep_unless_told_otherwise(given, expected):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["PYTHONPATH"] = root
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = "\n".join([
        "import importlib.util, os",
        f"spec = importlib.util.spec_from_file_location('demo_tool', {os.path.join(root, 'tools', 'demo.py')!r})",
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))",
        "print(os.environ['OMP_WAIT_POLICY'])"])
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == expected


@pytest.mark.parametrize("total, expected", [(1, (1, 1)), (2, (1, 1)), (3, (2, 1)),
                                             (16, (8, 8))])
def test_threads_split_between_stage_1_and_the_second_process(total, expected):
    from sgfb.demo import _split_threads
    assert _split_threads(total) == expected


@pytest.mark.slow   # > 20 s on 2 cores
def test_an_interrupted_demo_kills_its_second_process_instead_of_waiting():
    import multiprocessing
    import time

    from sgfb.demo import _stop
    from sgfb.utils.workers import process_pool

    pool = process_pool(1, mp_context=multiprocessing.get_context("spawn"))
    running = pool.submit(time.sleep, 120)
    queued = pool.submit(time.sleep, 120)
    deadline = time.monotonic() + 60
    while not running.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    [worker] = list(pool._processes.values())
    started = time.monotonic()
    _stop(pool)
    # poll rather than join: the pool's own thread may reap the killed worker first, and
    # join() then returns at its timeout while is_alive() waits for that thread's record
    while worker.is_alive() and time.monotonic() - started < 30:
        time.sleep(0.05)
    assert not worker.is_alive() and time.monotonic() - started < 30
    # the job queued behind it never runs: cancelled, or failed with the broken pool
    from concurrent.futures import wait
    wait([queued], timeout=30)
    assert queued.done() and time.monotonic() - started < 60
    assert queued.cancelled() or queued.exception() is not None


def test_a_shorter_or_longer_schedule_keeps_its_shape():
    solver = SolverConfig(max_iters=80, warmup_iters=5, steps=[65])
    set_iterations(solver, 800)
    assert (solver.max_iters, solver.warmup_iters, solver.steps) == (800, 50, [650])
    set_iterations(solver, 8)
    assert (solver.max_iters, solver.warmup_iters, solver.steps) == (8, 0, [6])
    set_iterations(solver, 1)          # a step at the last iteration or later is dropped
    assert (solver.max_iters, solver.warmup_iters, solver.steps) == (1, 0, [])
