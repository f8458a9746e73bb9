"""bench/demo_seeds.py's aggregation, on hand-made summaries (the runs themselves are the
demo's, tested in test_demo.py)."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("demo_seeds", os.path.join(ROOT, "bench", "demo_seeds.py"))
demo_seeds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_seeds)


def _summary(backbone, predicted, oracle, wall, cpu):
    return {"metrics": {"backbone-only mAP": backbone, "SGFB predicted mAP": predicted,
                        "SGFB oracle mAP": oracle},
            "seconds": {"total": {"wall": wall, "cpu": cpu}},
            "machine": {"load_average_1_5_15_min": {"start": [1.0, 1.0, 1.0],
                                                    "end": [2.0, 2.0, 2.0]}}}


def test_ranges_spread_and_ordering_margins():
    # binary fractions: every difference below is exact
    r = demo_seeds.seed_ranges([_summary(0.25, 0.5, 0.75, 300, 500),
                                _summary(0.25, 0.375, 0.875, 400, 550)])
    assert r["metrics"]["backbone-only mAP"] == {"min": 0.25, "max": 0.25, "spread": 0.0}
    assert r["seconds"] == {"wall": {"min": 300, "max": 400}, "cpu": {"min": 500, "max": 550}}
    first, second = r["ordering"]
    assert first["margins"] == [0.25, 0.125]
    assert first["spread"] == 0.125                         # SGFB predicted varies by 0.125
    assert first["holds"] and not first["beyond_spread"]    # 0.125 is not beyond 0.125
    assert second["margins"] == [0.25, 0.5]
    assert second["spread"] == 0.125 and second["beyond_spread"]
    text = demo_seeds.format_ranges(r)
    assert "0.375 - 0.500  0.125" in text and "holds True, beyond the spread False" in text


def test_the_spread_of_one_runs_heads_is_reported_per_sgfb_row():
    runs = [_summary(0.25, 0.5, 0.75, 1, 1), _summary(0.25, 0.5, 0.75, 1, 1)]
    for run, (low, high) in zip(runs, ((0.375, 0.625), (0.5, 0.5625))):
        run["heads"] = {"SGFB predicted mAP": {"seeds": [0, 1], "min_mAP": low,
                                               "max_mAP": high},
                        "SGFB oracle mAP": None}
    r = demo_seeds.seed_ranges(runs)
    assert r["heads"] == {"SGFB predicted mAP": {"heads": [2], "spread_min": 0.0625,
                                                 "spread_max": 0.25}}
    assert ("SGFB predicted mAP: the mean of 2 bank heads per run; one run's heads spread "
            "0.062 - 0.250") in demo_seeds.format_ranges(r)
    assert demo_seeds.seed_ranges(runs[:1] + [_summary(0.25, 0.5, 0.75, 1, 1)])["heads"] == {}


def test_ordering_broken_in_one_run_is_reported():
    r = demo_seeds.seed_ranges([_summary(0.5, 0.4, 0.9, 1, 1), _summary(0.2, 0.6, 0.9, 1, 1)])
    assert not r["ordering"][0]["holds"]


def test_no_runs_is_an_error():
    with pytest.raises(ValueError, match="no demo runs"):
        demo_seeds.seed_ranges([])


def test_arguments_after_a_double_dash_go_to_every_demo_run(tmp_path, monkeypatch):
    command = demo_seeds.demo_command("out/seed1", 1, ["--empty-video-share", "0.03"])
    assert command[1].endswith(os.path.join("tools", "demo.py"))
    assert command[2:] == ["--out", "out/seed1", "--seed", "1", "--empty-video-share", "0.03"]
    ran = []
    monkeypatch.setattr(demo_seeds.subprocess, "run", lambda cmd, check: ran.append(cmd))
    with pytest.raises(FileNotFoundError):      # the fake run wrote no summary
        demo_seeds.main(["--out", str(tmp_path), "--seeds", "4", "--", "--videos", "9"])
    assert ran == [demo_seeds.demo_command(str(tmp_path / "seed4"), 4, ["--videos", "9"])]


@pytest.mark.parametrize("extra", [["--seed", "3"], ["--out=x"]])
def test_the_per_run_arguments_cannot_be_given_after_the_double_dash(extra, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo_seeds.main(["--out", "o", "--seeds", "0", "--", *extra])
    assert exit_info.value.code == 2
    assert "is set per run by --out and --seeds" in capsys.readouterr().err
