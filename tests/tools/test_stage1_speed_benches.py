"""bench/sg_modes.py and bench/label_placer.py: each runs the current code beside the
reference approach on a demo output, checks both give the same result, prints the ratio."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def tiny_demo(sg_dataset, tmp_path_factory):
    """A demo-like folder: the shared dataset and frames, and a 2-iteration stage-1 model."""
    demo = tmp_path_factory.mktemp("demo")
    os.symlink(sg_dataset["dataset"], demo / "dataset")
    os.symlink(sg_dataset["frames"], demo / "frames")
    iters = ["detector_solver.max_iters=2", "detector_solver.steps=[]",
             "detector_solver.warmup_iters=0", "relation_solver.max_iters=2",
             "relation_solver.steps=[]", "relation_solver.warmup_iters=0"]
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "demo_stage1.py"), "--demo",
                    str(demo), "--seed", "0", "--out", str(demo / "scene_graphs"), *iters],
                   capture_output=True, text=True, check=True, env=ENV)
    return demo


def _bench(name, *args):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", name), *args],
                          capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()


def test_all_modes_in_one_pass_beside_one_call_per_mode(tiny_demo):
    lines = _bench("sg_modes.py", "--demo", str(tiny_demo), "--rounds", "2", "--threads", "1")
    assert re.fullmatch(r"(\d+) test frames, batch 8, 1 thread\(s\); identical graphs in every "
                        r"mode", lines[0]) and int(lines[0].split()[0]) > 0, lines[0]
    for line, name in zip(lines[1:3], ("one call per mode", "one pass for all modes")):
        assert line.startswith(name) and len(re.findall(r"\d+\.\d s?", line)) == 2, line
    assert re.fullmatch(r"median ratio \(per mode / all modes\): \d+\.\d\dx", lines[3]), lines[3]


def test_label_placer_beside_the_eager_reference(tiny_demo):
    lines = _bench("label_placer.py", "--demo", str(tiny_demo), "--rounds", "2")
    assert re.fullmatch(r"\d+ test frames, \d+ boxes, zoom 1; identical drawings", lines[0]), \
        lines[0]
    for line, name in zip(lines[1:3], ("all spots first (reference)", "one spot at a time")):
        assert line.startswith(name) and len(re.findall(r"\d+\.\d\d", line)) == 2, line
    assert re.fullmatch(r"median ratio \(reference / current\): \d+\.\dx", lines[3]), lines[3]
