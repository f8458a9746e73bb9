"""tools/train_sg.py and tools/test_sg.py end to end on a tiny synthetic dataset, including
a 2-process DDP run and a kill-and-resume run."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from sgfb.utils.checkpoint import load_checkpoint
from process_util import kill_once_saved
from sgfb.structures.graph_file import load_graphs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "tools", "train_sg.py")
TEST = os.path.join(ROOT, "tools", "test_sg.py")
EVAL = os.path.join(ROOT, "tools", "eval_sg.py")
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}

TINY = ["detector.backbone=small", "detector.min_size=96", "detector.max_size=128",
        "detector.norm_layer=bn", "detector.trainable_layers=5",
        "detector.representation_size=64", "detector.anchor_sizes=[16,32,64,128,256]",
        "detector.rpn_pre_nms_top_n_train=100", "detector.rpn_post_nms_top_n_train=50",
        "detector.rpn_pre_nms_top_n_test=100", "detector.rpn_post_nms_top_n_test=30",
        "detector.rpn_batch_size_per_image=32", "detector.box_batch_size_per_image=32",
        "detector.detections_per_img=10", "detector.score_thresh=0.0",
        "relations.hidden_dim=32", "relations.geometry_hidden=16",
        "detector_solver.warmup_iters=0", "relation_solver.warmup_iters=0",
        "detector_solver.lr=0.002", "detector_solver.clip_grad=5.0",
        "detector_solver.log_every=1", "relation_solver.log_every=1",
        "detector_solver.checkpoint_every=1", "relation_solver.checkpoint_every=100",
        "relation_solver.optimizer=adamw", "relation_solver.lr=0.001",
        "data.max_val_frames=6", "device=cpu", "test_batch_size=4"]


def data_args(sg):
    return [f"data.annotations={sg['annotations']}", f"data.frames={sg['frames']}"]


def train(out, sg, *overrides, nproc=1, resume=False, check=True, popen=False):
    if nproc == 1:
        cmd = [sys.executable, TRAIN]
    else:
        cmd = [os.path.join(os.path.dirname(sys.executable), "torchrun"), "--standalone",
               f"--nproc_per_node={nproc}", TRAIN]
    cmd += ["--out", str(out), "--no-progress", *(["--resume"] if resume else []),
            *TINY, *data_args(sg), *overrides]
    if popen:
        return subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=600, check=check)


def metric_rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_train_sg_writes_a_complete_checkpoint(sg_run):
    trained = sg_run
    state = load_checkpoint(os.path.join(trained, "model.pt"))
    assert state["format"] == "sgfb.scene_graph/1"
    assert state["relations"] is not None and state["objects"][0] == "person"
    assert state["frequency_counts"].shape == (36, 26)
    assert state["config"]["detector"]["backbone"] == "small"
    rows = metric_rows(os.path.join(trained, "relations", "metrics.jsonl"))
    assert [r["iteration"] for r in rows if "train/loss" in r] == [1, 2, 3]
    assert any("val/predcls_R@20" in r for r in rows)
    detector_rows = metric_rows(os.path.join(trained, "detector", "metrics.jsonl"))
    assert any("val/sgdet_R@20" in r for r in detector_rows)
    assert os.listdir(os.path.join(trained, "relations", "tb"))
    assert os.path.exists(os.path.join(trained, "config.yaml"))


@pytest.mark.parametrize("mode", ["predcls", "sgcls", "sgdet"])
def test_test_sg_scores_and_saves_graphs_that_eval_sg_rescores(sg_run, sg_dataset, tmp_path, mode):
    trained = sg_run
    graphs, metrics = tmp_path / "graphs", tmp_path / "m.json"
    subprocess.run([sys.executable, TEST, "--checkpoint", str(trained / "model.pt"),
                    "--annotations", str(sg_dataset["annotations"]), "--frames",
                    str(sg_dataset["frames"]), "--mode", mode, "--constraint", "with", "no",
                    "--device", "cpu", "--save-graphs", str(graphs), "--out", str(metrics),
                    "--no-progress"], env=ENV, check=True, capture_output=True, timeout=600)
    result = json.loads(metrics.read_text())
    assert result["mode"] == mode and set(result["constraints"]) == {"with", "no"}
    saved = {}
    for name in os.listdir(graphs):
        saved.update(load_graphs(str(graphs / name)))
    assert len(saved) == result["frames"] > 0
    if mode != "sgdet":   # ground-truth boxes: every pair of the truth is scored
        g = next(iter(saved.values()))
        assert g.person is not None and g.boxes is not None
    again = tmp_path / "again.json"
    subprocess.run([sys.executable, EVAL, "--annotations", str(sg_dataset["annotations"]),
                    "--predictions", str(graphs), "--mode", mode, "--constraint", "no",
                    "--split", "test", "--out", str(again)],
                   env=ENV, check=True, capture_output=True, timeout=300)
    assert json.loads(again.read_text())["recall_video_avg"] == \
        result["constraints"]["no"]["recall_video_avg"]


def test_frequency_head_needs_no_training(sg_run, sg_dataset, tmp_path):
    trained = sg_run
    out = tmp_path / "prior.json"
    subprocess.run([sys.executable, TEST, "--checkpoint", str(trained / "model.pt"),
                    "--annotations", str(sg_dataset["annotations"]), "--frames",
                    str(sg_dataset["frames"]), "--mode", "predcls", "--head", "frequency",
                    "--device", "cpu", "--out", str(out), "--no-progress"],
                   env=ENV, check=True, capture_output=True, timeout=300)
    assert json.loads(out.read_text())["head"] == "frequency"


@pytest.mark.slow   # > 20 s on 2 cores
def test_two_processes_match_one_process_in_the_relations_stage(sg_run, sg_dataset, tmp_path):
    trained = sg_run
    runs = {}
    for name, nproc, batch in (("one", 1, 4), ("two", 2, 2)):
        out = tmp_path / name
        out.mkdir()
        (out / "model.pt").write_bytes((trained / "model.pt").read_bytes())
        train(out, sg_dataset, "stages=[relations]", "relation_solver.max_iters=3",
              f"relation_solver.batch_size={batch}", nproc=nproc)
        runs[name] = [r["train/loss"] for r in metric_rows(out / "relations" / "metrics.jsonl")
                      if "train/loss" in r]
    assert len(runs["one"]) == 3 and len(set(runs["one"])) > 1
    np.testing.assert_allclose(runs["two"], runs["one"], rtol=1e-4)


@pytest.mark.slow   # > 20 s on 2 cores
def test_a_killed_run_resumes_to_the_uninterrupted_weights(sg_dataset, tmp_path):
    steps = ["stages=[detector]", "detector_solver.max_iters=12", "detector_solver.batch_size=2"]
    full, cut = tmp_path / "full", tmp_path / "cut"
    train(full, sg_dataset, *steps)
    proc = train(cut, sg_dataset, *steps, popen=True)
    last = cut / "detector" / "last.pt"
    assert 2 <= kill_once_saved(proc, last, 2) < 12
    train(cut, sg_dataset, *steps, resume=True)
    a = load_checkpoint(str(full / "detector" / "last.pt"))["model"]
    b = load_checkpoint(str(last))["model"]
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.slow   # > 20 s on 2 cores
def test_any_head_trains_and_tests_and_old_checkpoints_still_load(sg_run, sg_dataset, tmp_path):
    """A temporal head (clips of frames) trains the relations stage with the same tool, 2
    processes matching 1, and test_sg picks the checkpoint's head; a checkpoint written before
    heads were selectable loads as the RelDN-style head."""
    from sgfb.utils.checkpoint import save_checkpoint
    from sgfb.models.scene_graph import load_scene_graph_model
    from sgfb.relations.head import RelationHead
    from sgfb.relations.sttran import STTranHead

    trained = sg_run
    head = ["relations.kind=sttran", "relations.dropout=0.0", "relations.attention_heads=2",
            "data.clip_frames=2", "stages=[relations]", "relation_solver.max_iters=3"]
    runs = {}
    for name, nproc, clips in (("one", 1, 2), ("two", 2, 1)):
        out = tmp_path / name
        out.mkdir()
        (out / "model.pt").write_bytes((trained / "model.pt").read_bytes())
        train(out, sg_dataset, *head, f"relation_solver.batch_size={clips}", nproc=nproc)
        runs[name] = [r["train/loss"] for r in metric_rows(out / "relations" / "metrics.jsonl")
                      if "train/loss" in r]
    assert len(runs["one"]) == 3
    np.testing.assert_allclose(runs["two"], runs["one"], rtol=1e-4)
    model = tmp_path / "one" / "model.pt"
    loaded = load_scene_graph_model(str(model)).head
    assert isinstance(loaded, STTranHead) and loaded.spatial[0].norm_first
    # an STTran checkpoint written before relations.norm_first loads with post-norm layers
    before = load_checkpoint(str(model))
    del before["relations_config"]["norm_first"]
    save_checkpoint(str(tmp_path / "postnorm.pt"), before)
    loaded = load_scene_graph_model(str(tmp_path / "postnorm.pt")).head
    assert not any(layer.norm_first for layer in [*loaded.spatial, *loaded.temporal_layers])
    out = tmp_path / "sttran.json"
    subprocess.run([sys.executable, TEST, "--checkpoint", str(model),
                    "--annotations", str(sg_dataset["annotations"]), "--frames",
                    str(sg_dataset["frames"]), "--mode", "predcls", "--device", "cpu",
                    "--out", str(out), "--no-progress"],
                   env=ENV, check=True, capture_output=True, timeout=300)
    assert json.loads(out.read_text())["head"] == "sttran"
    wrong = subprocess.run([sys.executable, TEST, "--checkpoint", str(model), "--annotations",
                            str(sg_dataset["annotations"]), "--frames", str(sg_dataset["frames"]),
                            "--mode", "predcls", "--head", "imp", "--device", "cpu"],
                           env=ENV, capture_output=True, text=True, timeout=300)
    assert wrong.returncode != 0 and "holds a 'sttran' head, not 'imp'" in wrong.stderr

    old = load_checkpoint(str(trained / "model.pt"))
    old["relations_config"] = {k: v for k, v in old["relations_config"].items()
                               if k in ("kind", "hidden_dim", "geometry_hidden", "pool_size",
                                        "sampling_ratio", "featmap_names", "use_visual",
                                        "use_geometry", "use_frequency", "frequency_eps",
                                        "min_box_size")}
    save_checkpoint(str(tmp_path / "old.pt"), old)
    predictor = load_scene_graph_model(str(tmp_path / "old.pt"))
    assert isinstance(predictor.head, RelationHead) and predictor.head_kind == "reldn"
