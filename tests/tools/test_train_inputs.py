"""Every train_* tool checks its inputs before it writes anything (no config.yaml left behind
by a run that could not start) and says what is missing in one line."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def tool(name, *args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", name), *args],
                          env=ENV, capture_output=True, text=True, timeout=300)


@pytest.fixture
def present(tmp_path):
    for name in ("annotations", "frames", "videos"):
        (tmp_path / name).mkdir()
    for name in ("train.csv", "test.csv"):
        (tmp_path / name).write_text("id,actions,length\n")
    return tmp_path


@pytest.mark.parametrize("name,args,key,missing", [
    ("train_stsgn.py", ["--annotations", "{t}/annotations", "--charades", "{t}/train.csv",
                        "{t}/missing.csv", "--out", "{t}/run"], "data.charades", "missing.csv"),
    ("train_stsgn.py", ["--annotations", "{t}/absent", "--charades", "{t}/train.csv",
                        "--out", "{t}/run"], "data.annotations", "absent"),
    ("train_sg.py", ["data.annotations={t}/annotations", "data.frames={t}/absent",
                     "--out", "{t}/run"], "data.frames", "absent"),
    ("train_sgfb.py", ["--oracle", "data.videos={t}/videos", "data.train_csv={t}/train.csv",
                       "data.test_csv={t}/missing.csv", "--out", "{t}/run"],
     "data.test_csv", "missing.csv"),
    ("train_bank_only.py", ["--annotations", "{t}/annotations", "--charades", "{t}/train.csv",
                            "--fps-table", "{t}/fps.json", "--out", "{t}/run/b.json"],
     "--fps-table", "fps.json"),
])
def test_missing_inputs_stop_the_run_before_it_writes(present, name, args, key, missing):
    done = tool(name, *[a.format(t=present) for a in args])
    assert done.returncode == 1, done.stderr[-1500:]
    assert done.stderr.splitlines() == [
        f"{name}: error: {key}: {present / missing}: no such file or folder"]
    assert done.stdout == "" and not (present / "run").exists()


def test_an_output_folder_inside_the_inputs_is_refused(present):
    done = tool("train_stsgn.py", "--annotations", str(present / "annotations"), "--charades",
                str(present / "train.csv"), "--out", str(present / "annotations" / "run"))
    assert done.returncode == 1
    assert "lies inside the input folder" in done.stderr
    assert os.listdir(present / "annotations") == []
