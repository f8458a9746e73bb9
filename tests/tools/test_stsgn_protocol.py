"""bench/stsgn_protocol.py: the seed ensemble (mean of the seeds' sigmoid scores) and the
table that shows it beside the per-seed numbers."""
import importlib.util
import json
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location(
    "stsgn_protocol", os.path.join(ROOT, "bench", "stsgn_protocol.py"))
protocol = importlib.util.module_from_spec(spec)
spec.loader.exec_module(protocol)


def test_ensemble_averages_the_scores_by_hand():
    targets = np.array([[1.0], [0.0], [1.0]])
    a = {"val": (np.array([[0.9], [0.8], [0.1]]), targets),
         "test": (np.array([[0.9], [0.1], [0.8]]), targets)}
    b = {"val": (np.array([[0.7], [0.3], [0.4]]), targets),
         "test": (np.array([[0.1], [0.2], [0.3]]), targets)}
    r = protocol.ensemble_record("m", [0, 1], [a, b], "test", 10.0, ["x=1"])
    # test: seed b alone ranks a negative second (AP (1 + 2/3) / 2); the mean
    # [0.5, 0.15, 0.55] ranks both positives first: AP 1
    assert r["mAP"] == pytest.approx(1.0)
    # val: the mean [0.8, 0.55, 0.25] ranks positive, negative, positive: (1 + 2/3) / 2
    assert r["val_mAP"] == pytest.approx((1 + 2 / 3) / 2)
    assert (r["model"], r["ensemble"], r["split"], r["T"]) == ("m", [0, 1], "test", 10.0)
    single = protocol.ensemble_record("m", [0], [a], "test", 10.0, [])
    assert single["val_mAP"] == pytest.approx((1 + 2 / 3) / 2)


def test_table_shows_the_ensemble_column(tmp_path):
    path = tmp_path / "runs.jsonl"
    rows = [{"model": "m", "seed": s, "split": "test", "mAP": v, "val_mAP": 0.5, "T": 10.0}
            for s, v in ((0, 0.40), (1, 0.42))]
    rows.append({"model": "m", "ensemble": [0, 1], "split": "test", "mAP": 0.45,
                 "val_mAP": 0.55, "T": 10.0})
    rows.append({"model": "n", "seed": 0, "split": "test", "mAP": 0.30, "val_mAP": 0.3, "T": 0.0})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    lines = protocol.table(str(path)).splitlines()
    assert lines[0].endswith("| seed ensemble (test / val) |")
    assert lines[2] == "| m | 10 | 41.0 ± 1.0 | 50.0 | 2 | 40.0, 42.0 | 45.0 / 55.0 |"
    assert lines[3] == "| n | 0 | 30.0 ± 0.0 | 30.0 | 1 | 30.0 | - |"
