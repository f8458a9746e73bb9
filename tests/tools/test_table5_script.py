"""scripts/table5.py's table layout on literal results (the runs themselves are in
docs/results.md; they take tens of minutes)."""
import importlib.util
import os

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
