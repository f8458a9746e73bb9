"""bench/view_features.py: N bank heads scored on decoded test views beside scored on the
views' backbone features computed once, on a demo-like folder (the shared tiny world, oracle
banks in the place of the predicted ones, a 2-iteration SGFB model of the demo config)."""
import os
import re
import subprocess
import sys

import pytest

from sgfb.demo import DemoConfig, _action_config, _info
from sgfb.training.action import run_action_training
from demo_like import demo_folder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow   # about 30 s on 2 cores
def test_decoding_and_cached_views_are_timed_side_by_side(sg_dataset, tmp_path):
    demo = demo_folder(sg_dataset, tmp_path / "demo")
    cfg = _action_config(str(demo / "dataset"), str(demo / "banks"),
                         DemoConfig(backbone_iters=2, head_iters=2, head_seeds=1))
    run_action_training(cfg, str(demo / "sgfb"), _info(), progress=False, log=lambda _: None)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "view_features.py"),
                           "--demo", str(demo), "--heads", "3", "--rounds", "1"],
                          capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r"1 test videos, 4 views x 1 crops, batch 4, 1 thread\(s\); "
                        r"mAP \d\.\d{4} both ways", lines[0]), lines[0]
    assert re.fullmatch(r"one head, decoding \(reference\): \d+\.\d\d s", lines[1]), lines[1]
    assert re.fullmatch(r"features once: \d+\.\d\d s; one head on them: \d+\.\d{3} s",
                        lines[2]), lines[2]
    assert re.fullmatch(r"3 heads: decoding \d+\.\d s, features once \d+\.\d s \(median ratio "
                        r"\d+\.\dx\); per extra head \d+x less", lines[3]), lines[3]
