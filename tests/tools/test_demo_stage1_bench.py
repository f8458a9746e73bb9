"""bench/demo_stage1.py: stage 1 of the demo on an existing world, with overrides."""
import json
import os
import subprocess
import sys

from sgfb.demo import evaluate_stage1
from sgfb.utils.checkpoint import load_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_trains_the_demo_config_with_overrides_and_scores_like_the_demo(sg_dataset, tmp_path):
    out = tmp_path / "run"
    iters = ["detector_solver.max_iters=2", "detector_solver.steps=[]",
             "detector_solver.warmup_iters=0", "relation_solver.max_iters=2",
             "relation_solver.steps=[]", "relation_solver.warmup_iters=0"]
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "demo_stage1.py"),
                           "--demo", str(sg_dataset["root"]), "--seed", "3", "--out", str(out),
                           *iters, "data.brightness=0.2"],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    saved = json.loads((out / "metrics.json").read_text())
    assert json.loads(proc.stdout.strip().splitlines()[-1])["overrides"] == saved["overrides"]
    config = load_checkpoint(str(out / "model.pt"))["config"]
    assert config["data"]["brightness"] == 0.2 and config["detector_solver"]["seed"] == 3
    assert config["detector_solver"]["max_iters"] == 2
    assert config["detector"]["fpn_channels"] == 64          # the demo's detector
    again = evaluate_stage1(str(out / "model.pt"), str(sg_dataset["annotations"]),
                            str(sg_dataset["frames"]), 8)
    assert {k: saved[k] for k in again} == again
