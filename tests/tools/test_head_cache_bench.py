"""bench/head_cache.py: the head stage decoding its clips beside the head on cached clip
features, on a demo-like folder (the shared tiny world, oracle banks in the place of the
predicted ones, a 2-iteration backbone-only model of the demo config)."""
import os
import re
import subprocess
import sys

import pytest

from sgfb.demo import DemoConfig, _action_config, _info
from sgfb.training.action import run_action_training
from demo_like import demo_folder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow   # about 40 s on 2 cores
def test_decoded_and_cached_heads_are_timed_side_by_side(sg_dataset, tmp_path):
    demo = demo_folder(sg_dataset, tmp_path / "demo")
    cfg = _action_config(str(demo / "dataset"), str(demo / "banks"), DemoConfig(backbone_iters=2))
    cfg.model.fbo = "none"
    run_action_training(cfg, str(demo / "backbone_only"), _info(), progress=False,
                        log=lambda _: None)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "head_cache.py"),
                           "--demo", str(demo), "--iters", "2", "--clips", "1", "--rounds", "1"],
                          capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == ("2 training videos, 1 cached clips per video, batch 2, 2 head "
                        "iterations, 1 thread(s)"), lines[0]
    assert re.fullmatch(r"decoded clips \(reference\): \d+\.\d{3} s/iteration", lines[1]), lines[1]
    assert re.fullmatch(r"cached features: \d+\.\d{3} s/iteration; cache built once in "
                        r"\d+\.\d s", lines[2]), lines[2]
    assert re.fullmatch(r"median ratio \(decoded / cached\): \d+\.\dx per iteration; the cache "
                        r"has paid for itself after \d+ iterations", lines[3]), lines[3]
