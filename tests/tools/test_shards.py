"""Inputs split across machines (sgfb/utils/shards.py): two CPU processes, one per shard
(one by --shard, one by torchrun's RANK/WORLD_SIZE), write exactly what one process writes."""
import argparse
import os
import subprocess
import sys

import pytest

from sgfb.utils.shards import Shard, parse_shard, resolve_shard
from videos_util import tree_digest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ROOT}
for _name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
    ENV.pop(_name, None)


def test_assignment_is_sorted_round_robin_and_the_shards_partition_the_inputs():
    items = ["e", "a", "d", "b", "c"]
    assert Shard(0, 2).select(items) == ["a", "c", "e"]
    assert Shard(1, 2).select(items) == ["b", "d"]
    assert Shard().select(items) == sorted(items)
    for n in (1, 2, 3, 7):
        parts = [Shard(i, n).select(items) for i in range(n)]
        assert sorted(x for p in parts for x in p) == sorted(items)
    assert Shard(1, 2).select({"x/b": 1, "x/a": 2}, key=lambda k: k[-1]) == ["x/b"]


def test_per_run_files_are_named_by_shard():
    assert Shard(1, 4).name("out/summary.json") == os.path.join("out", "summary.shard1-of-4.json")
    assert Shard(0, 2).name("report.html") == "report.shard0-of-2.html"
    assert Shard().name("summary.json") == "summary.json"


def test_shard_argument_and_torchrun_environment():
    assert parse_shard("1/3") == Shard(1, 3)
    for bad in ("3/3", "-1/2", "1", "a/b", "0/0"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected I/N"):
            parse_shard(bad)
    assert resolve_shard(None, {}) == Shard()
    assert resolve_shard(None, {"RANK": "2", "WORLD_SIZE": "4"}) == Shard(2, 4)
    assert resolve_shard(Shard(0, 2), {}) == Shard(0, 2)
    assert resolve_shard(Shard(1, 2), {"RANK": "0", "WORLD_SIZE": "1"}) == Shard(1, 2)
    with pytest.raises(ValueError, match="disagrees with torchrun"):
        resolve_shard(Shard(0, 2), {"RANK": "1", "WORLD_SIZE": "2"})


def _one_and_two_shards(tool, args_for, tmp_path, timeout=900):
    """Run ``tool`` once as one process into ``one/`` and as two concurrent processes (shard
    0 by --shard, shard 1 by RANK/WORLD_SIZE) into ``two/``; returns both trees."""
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run([sys.executable, os.path.join(TOOLS, tool), *args_for(one)], env=ENV,
                   check=True, capture_output=True, timeout=timeout)
    procs = [subprocess.Popen([sys.executable, os.path.join(TOOLS, tool), *args_for(two),
                               "--shard", "0/2"], env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True),
             subprocess.Popen([sys.executable, os.path.join(TOOLS, tool), *args_for(two)],
                              env={**ENV, "RANK": "1", "WORLD_SIZE": "2"},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    outputs = [p.communicate(timeout=timeout) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-2000:]
    return tree_digest(one), tree_digest(two), outputs


@pytest.mark.slow
def test_dump_frames_shards_union_equals_one_process(sg_dataset, tmp_path):
    one, two, _ = _one_and_two_shards("dump_frames.py", lambda out: [
        "--videos", str(sg_dataset["videos"]), "--annotations", str(sg_dataset["annotations"]),
        "--out", str(out), "--no-progress"], tmp_path)
    assert len({k.split(os.sep)[0] for k in one}) == 3 and one == two


@pytest.mark.slow
def test_extract_banks_shards_union_equals_one_process(sg_dataset, tmp_path):
    one, two, outputs = _one_and_two_shards("extract_banks.py", lambda out: [
        "--annotations", str(sg_dataset["annotations"]), "--fps-table",
        str(sg_dataset["videos"]), "--out", str(out), "--no-progress"], tmp_path)
    assert len(one) == 3 and one == two
    assert "shard 0/2: 2 videos" in outputs[0][0] and "shard 1/2: 1 videos" in outputs[1][0]


@pytest.mark.slow
def test_test_sg_saved_graphs_shards_union_equals_one_process(sg_run, sg_dataset, tmp_path):
    def args(out):
        return ["--checkpoint", str(sg_run / "model.pt"), "--annotations",
                str(sg_dataset["annotations"]), "--frames", str(sg_dataset["frames"]),
                "--mode", "sgdet", "--split", "all", "--device", "cpu", "--batch-size", "2",
                "--save-graphs", str(out / "graphs"), "--out", str(out / "metrics.json"),
                "--no-progress"]

    one, two, _ = _one_and_two_shards("test_sg.py", args, tmp_path)
    graphs = lambda tree: {k: v for k, v in tree.items() if k.startswith("graphs")}  # noqa: E731
    assert len(graphs(one)) == 3 and graphs(one) == graphs(two)
    assert set(two) - set(graphs(two)) == {"metrics.shard0-of-2.json", "metrics.shard1-of-2.json"}
    refused = subprocess.run([sys.executable, os.path.join(TOOLS, "test_sg.py"),
                              *args(tmp_path / "x")[:-5], "--save-graphs",
                              str(tmp_path / "g.npz"), "--shard", "1/2"],
                             env=ENV, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "cannot be split across shards" in refused.stderr


@pytest.mark.slow
def test_infer_shards_union_equals_one_process(sg_run, sgfb_run, sg_dataset, tmp_path):
    def args(out):
        return [str(sg_dataset["videos"]), "--sg-checkpoint", str(sg_run / "model.pt"),
                "--action-checkpoint", str(sgfb_run / "model.pt"), "--out", str(out),
                "--device", "cpu", "--views", "2", "--crops", "1", "--sample-fps", "2",
                "--no-progress", "--no-video"]   # x264's bytes vary run to run (same frames)

    one, two, _ = _one_and_two_shards("infer.py", args, tmp_path)
    per_run = {"summary.json", "report.html"}
    videos = {k: v for k, v in one.items() if k not in per_run}
    assert len(videos) == 3                                         # 3 x NAME.json
    assert {k: v for k, v in two.items() if ".shard" not in k} == videos
    assert set(two) - set(videos) == {"summary.shard0-of-2.json", "summary.shard1-of-2.json",
                                      "report.shard0-of-2.html", "report.shard1-of-2.html"}
    import json
    shards = [json.loads((tmp_path / "two" / f"summary.shard{i}-of-2.json").read_text())
              for i in range(2)]
    assert sorted(v["name"] for s in shards for v in s["videos"]) == \
        sorted(v["name"] for v in json.loads((tmp_path / "one" / "summary.json").read_text())
               ["videos"])
