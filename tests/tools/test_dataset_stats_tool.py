import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_tool(*args):
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "dataset_stats.py"), *args],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_dataset_stats_prints_real_counts(ag_real_subset, charades_dir):
    stats = run_tool("--ag", str(ag_real_subset),
                     "--charades", str(charades_dir / "Charades_v1_train.csv"))
    assert stats["ag"]["frames"] == 8132 and stats["ag"]["videos"] == 3907
    assert stats["ag"]["relationships"]["spatial"] == 19121
    assert stats["charades"] == {"videos": 7985, "action_instances": 49802, "classes_seen": 157}


def test_dataset_stats_needs_an_input():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "dataset_stats.py")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--ag" in proc.stderr
