"""scripts/stsgn_table.sh (the issue-#15 table of docs/results.md): which runs it starts for a
chosen subset of models and a partly filled test.jsonl. PYTHON is a fake interpreter that only
records its arguments, so nothing trains."""
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "stsgn_table.sh")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def run(tmp_path, *models):
    log = tmp_path / "calls.txt"
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    fake.chmod(0o755)
    env = dict(os.environ, PYTHON=str(fake))
    proc = subprocess.run(["bash", SCRIPT, str(tmp_path / "out"), *models], env=env,
                          capture_output=True, text=True)
    calls = log.read_text().splitlines() if log.exists() else []
    return proc, calls


def record(out, model, seed, window):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "test.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps({"model": model, "seed": seed, "split": "test", "mAP": 0.4,
                            "val_mAP": 0.4, "best_epoch": 3, "seconds": 1.0, "T": window,
                            "overrides": []}) + "\n")


def test_runs_only_the_named_models_and_their_missing_seeds(tmp_path):
    out = str(tmp_path / "out")
    record(out, "gine-mean-bigru", 0, 10.0)
    record(out, "gine-mean-bigru", 2, 10.0)
    for seed in (0, 1, 2):
        record(out, "cg-max-bigru", seed, 10.0)
        record(out, "relmat-bigru", seed, 0.0)       # T = 0 seeds do not count for T = 10
    proc, calls = run(tmp_path, "gine-mean-bigru", "cg-max-bigru", "relmat-bigru")
    assert proc.returncode == 0, proc.stderr
    assert len(calls) == 3 and calls[-1].endswith(f"--table {out}/test.jsonl")
    assert "--models gine-mean-bigru --seeds 1 --report test" in calls[0]
    assert "--models relmat-bigru --seeds 0 1 2 --report test" in calls[1]
    assert "data.window=0" not in calls[1] and calls[1].endswith("train.eval_train=false")


def test_name_at_zero_runs_t0_and_bank_only_counts_under_its_table_name(tmp_path):
    out = str(tmp_path / "out")
    for seed in (0, 1):
        record(out, "bank-only-sgfb", seed, 0.0)
    proc, calls = run(tmp_path, "nn-person-bigru@0", "bank-only@0")
    assert proc.returncode == 0, proc.stderr
    assert "--models nn-person-bigru --seeds 0 1 2" in calls[0]
    assert calls[0].endswith("train.eval_train=false data.window=0")
    assert f"--runs {out}/runs/nn-person-bigru@0" in calls[0]
    assert "--bank-only --seeds 2 " in calls[1] and calls[1].endswith("data.window=0")
    assert len(calls) == 3


@pytest.mark.parametrize("name", ["foo-bigru", "foo@0"])
def test_unknown_model_is_an_error_and_runs_nothing(tmp_path, name):
    proc, calls = run(tmp_path, "gine-mean-bigru", name)
    assert proc.returncode == 2 and calls == []
    assert proc.stderr.startswith(f"stsgn_table.sh: error: unknown model '{name}'")
