"""scripts/table5.py's table layout on literal results (the runs themselves are in
docs/results.md; they take tens of minutes)."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script():
    spec = importlib.util.spec_from_file_location("table5", os.path.join(ROOT, "scripts", "table5.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recall(frame, video):
    return {"recall_frame_avg": {"R@20": frame, "R@50": frame + 0.1},
            "recall_video_avg": {"R@20": video, "R@50": video + 0.1}}


def test_table_columns_and_seed_spread():
    t5 = load_script()
    modes = {m: {"with": recall(0.2 + i / 10, 0.25 + i / 10)} for i, m in enumerate(t5.MODES)}
    other = {m: {"with": recall(0.3 + i / 10, 0.35 + i / 10)} for i, m in enumerate(t5.MODES)}
    results = {"imp": {"seeds": {0: modes, 1: other}}, "frequency": {"seeds": {0: modes}}}
    lines = t5.table(results, ["imp", "frequency"], "with").splitlines()
    assert lines[0].count("|") == 14 and "PredCls image R@20" in lines[0] and "SGDet video R@50" in lines[0]
    # IMP: mean of 20 and 30 = 25.0, spread (max - min) / 2 = 5.0; then the video column
    assert lines[2].startswith("| IMP | 25.0 ± 5.0 | 35.0 ± 5.0 | 30.0 ± 5.0 | 40.0 ± 5.0 | 35.0 ± 5.0 |")
    assert lines[3].startswith("| Freq Prior | 20.0 | 30.0 | 25.0 | 35.0 | 30.0 |")


def test_timing_rows_show_wall_and_cpu_seconds_per_seed():
    t5 = load_script()
    results = {"imp": {"train_seconds": {0: {"seconds": 61.4, "cpu_seconds": 30.2},
                                          1: {"seconds": 70.6}}},
               "frequency": {"train_seconds": {}}}
    lines = t5.timing_table(results, ["imp", "frequency"]).splitlines()
    assert lines[2] == "| IMP | 61 (30) seed 0, 71 seed 1 |"
    assert lines[3] == "| Freq Prior | none (counts) |"


def write_run(run_dir, modes, value, seconds=None):
    import json
    os.makedirs(run_dir, exist_ok=True)
    for mode in modes:
        with open(os.path.join(run_dir, f"{mode}.json"), "w") as f:
            json.dump({"constraints": {"with": recall(value, value + 0.05)}}, f)
    if seconds is not None:
        with open(os.path.join(run_dir, "train_seconds.json"), "w") as f:
            json.dump({"seconds": seconds, "cpu_seconds": seconds / 2}, f)


def test_collect_only_tables_the_finished_runs_and_names_the_others(tmp_path, monkeypatch):
    t5 = load_script()
    out = tmp_path / "table5"
    write_run(str(out / "imp_s0"), t5.MODES, 0.2, seconds=60.0)
    write_run(str(out / "imp_s1"), t5.MODES[:1], 0.4, seconds=70.0)   # sgcls/sgdet not evaluated yet
    monkeypatch.setattr("sys.argv", ["table5.py", "--data", str(tmp_path / "nodata"), "--out", str(out),
                                     "--collect-only", "--constraints", "with",
                                     "--heads", "imp", "frequency", "--seeds", "0", "1"])
    assert t5.main() == 0
    assert not (out / "detector").exists() and not (out / "frequency").exists()   # nothing ran
    text = (out / "table5.md").read_text()
    assert "| IMP | 20.0 | 30.0 | 25.0 | 35.0 |" in text          # seed 0 alone, no spread
    assert "Freq Prior" not in text
    assert "| IMP | 60 (30) seed 0 |" in text
    assert text.rstrip().endswith("not finished (left out): imp seed 1, frequency seed 0")


def test_collect_only_without_any_finished_run_is_an_error(tmp_path, monkeypatch):
    t5 = load_script()
    monkeypatch.setattr("sys.argv", ["table5.py", "--data", "d", "--out", str(tmp_path / "o"),
                                     "--collect-only", "--heads", "imp"])
    with pytest.raises(SystemExit, match="no finished run"):
        t5.main()
