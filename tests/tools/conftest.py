"""Tiny trained checkpoints shared by the tool tests (made once per session)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="session")
def sg_run(sg_dataset, tmp_path_factory):
    """A run folder of tools/train_sg.py (3 detector + 3 relation iterations)."""
    from test_sg_tools import train

    out = tmp_path_factory.mktemp("sg_run")
    train(out, sg_dataset, "detector_solver.max_iters=3", "relation_solver.max_iters=3",
          "detector_solver.batch_size=2", "relation_solver.batch_size=2")
    return out


@pytest.fixture(scope="session")
def sgfb_run(sg_dataset, tmp_path_factory):
    """A run folder of tools/train_sgfb.py (oracle banks, FBO max, 3 iterations)."""
    from test_sgfb_tools import run

    out = tmp_path_factory.mktemp("sgfb_run")
    run(out, sg_dataset, "--oracle", "--fbo", "max")
    return out


@pytest.fixture(scope="session")
def stsgn_run(sg_dataset, tmp_path_factory):
    """An ST-SGN checkpoint (tools/train_stsgn.py, video task, 2 epochs)."""
    out = tmp_path_factory.mktemp("stsgn_run")
    c = sg_dataset["charades"]
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "train_stsgn.py"),
                    "--annotations", str(sg_dataset["annotations"]), "--charades",
                    str(c / "Charades_v1_train.csv"), str(c / "Charades_v1_test.csv"),
                    "--classes", str(c / "Charades_v1_classes.txt"), "--fps-table",
                    str(c / "video_fps.json"), "--task", "video", "--model", "relmat-max",
                    "--out", str(out), "--no-progress", "train.max_epochs=2",
                    "model.hidden=16", "data.val_fraction=0.5", "data.test_fraction=0.0"],
                   env=ENV, check=True, capture_output=True, timeout=300)
    return out
