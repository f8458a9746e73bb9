"""Heads other than RelDN-style through the shared tool paths (issue #17): a killed
relations-stage run of the IMP head resumes to the uninterrupted weights; an STTran-style
checkpoint's saved graphs feed tools/extract_banks.py, and the same checkpoint drives
tools/infer.py. (2-process DDP of a non-RelDN head: test_sg_tools.py, STTran-style.)"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from sgfb.utils.checkpoint import load_checkpoint
from process_util import kill_once_saved
from sgfb.feature_bank.bank import bank_path, load_bank
from sgfb.inference.result import read_result_json
from sgfb.inference.schema import validate_result
from sgfb.structures.graph_file import load_graphs
from test_sg_tools import ENV, ROOT, TEST, train

EXTRACT = os.path.join(ROOT, "tools", "extract_banks.py")
INFER = os.path.join(ROOT, "tools", "infer.py")

pytestmark = pytest.mark.slow


def _copy_model(src, dst):
    dst.mkdir()
    (dst / "model.pt").write_bytes((src / "model.pt").read_bytes())


def test_a_killed_imp_relations_stage_resumes_to_the_uninterrupted_weights(sg_run, sg_dataset,
                                                                             tmp_path):
    steps = ["stages=[relations]", "relations.kind=imp", "relation_solver.max_iters=10",
             "relation_solver.batch_size=2", "relation_solver.checkpoint_every=1"]
    full, cut = tmp_path / "full", tmp_path / "cut"
    _copy_model(sg_run, full)
    _copy_model(sg_run, cut)
    train(full, sg_dataset, *steps)
    proc = train(cut, sg_dataset, *steps, popen=True)
    last = cut / "relations" / "last.pt"
    assert 2 <= kill_once_saved(proc, last, 2) < 10
    train(cut, sg_dataset, *steps, resume=True)
    a = load_checkpoint(str(full / "model.pt"))
    b = load_checkpoint(str(cut / "model.pt"))
    assert a["relations_config"]["kind"] == b["relations_config"]["kind"] == "imp"
    assert a["relations"].keys() == b["relations"].keys()
    assert any(k.startswith("node_gru.") for k in a["relations"])
    for key in a["relations"]:
        assert torch.equal(a["relations"][key], b["relations"][key]), key


@pytest.fixture(scope="module")
def sttran_run(sg_run, sg_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("sttran_run")
    (out / "model.pt").write_bytes((sg_run / "model.pt").read_bytes())
    train(out, sg_dataset, "stages=[relations]", "relations.kind=sttran",
          "relations.attention_heads=2", "data.clip_frames=2", "relation_solver.max_iters=2",
          "relation_solver.batch_size=1")
    return out


def test_sttran_graphs_feed_extract_banks(sttran_run, sg_dataset, tmp_path):
    graphs, metrics, banks = tmp_path / "graphs", tmp_path / "m.json", tmp_path / "banks"
    subprocess.run([sys.executable, TEST, "--checkpoint", str(sttran_run / "model.pt"),
                    "--annotations", str(sg_dataset["annotations"]), "--frames",
                    str(sg_dataset["frames"]), "--mode", "sgdet", "--split", "all",
                    "--preset", "keep_all", "--constraint", "no", "--device", "cpu",
                    "--save-graphs", str(graphs), "--out", str(metrics), "--no-progress"],
                   env=ENV, check=True, capture_output=True, timeout=600)
    assert json.loads(metrics.read_text())["head"] == "sttran"
    done = subprocess.run([sys.executable, EXTRACT, "--annotations", str(sg_dataset["annotations"]),
                           "--fps-table", str(sg_dataset["charades"] / "video_fps.json"),
                           "--out", str(banks), "--graphs", str(graphs), "--no-progress"],
                          env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "0 failed" in done.stdout
    files = sorted(os.listdir(graphs))
    assert len(files) == 3                        # every video of the set: train and test
    for name in files:
        video_graphs = load_graphs(str(graphs / name))
        video = os.path.splitext(name)[0]
        bank = load_bank(bank_path(str(banks), video))
        assert bank.features.shape == (len(video_graphs), 875)
        # a detected person with scored relations leaves non-zero confidences in its frame
        scored = [g for g in video_graphs.values() if g.person is not None and g.num_nodes > 1]
        assert (np.abs(bank.features).sum() > 0) == bool(scored)


def test_sttran_checkpoint_drives_infer(sttran_run, sgfb_run, sg_dataset, tmp_path):
    video = sorted(os.listdir(sg_dataset["videos"]))[0]
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, INFER, str(sg_dataset["videos"] / video),
                           "--sg-checkpoint", str(sttran_run / "model.pt"),
                           "--action-checkpoint", str(sgfb_run / "model.pt"), "--out", str(out),
                           "--no-video", "--device", "cpu", "--views", "2", "--crops", "1",
                           "--sample-fps", "2", "--no-progress"],
                          env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((out / f"{video}.json").read_text())
    assert validate_result(data) == []
    result = read_result_json(str(out / f"{video}.json"))
    assert len(result.actions) == 18 and result.sampled_frames
