import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sgfb.data.action_genome import ActionGenome, AGFrame, AGObject
from sgfb.structures.vocab import OBJECTS, RELATIONSHIPS
from sgfb.feature_bank.bank import VideoBank, bank_path, load_bank, save_bank
from sgfb.structures.confidence import OBJECT_ROWS, layout_relationships
from sgfb.feature_bank.extract import extract_banks
from sgfb.structures import SceneGraph, save_graphs

ROOT = Path(__file__).resolve().parents[2]
CUP, HOLDING = OBJECTS.index("cup/glass/bottle"), RELATIONSHIPS.index("holding")


def _ag():
    frames = [AGFrame(f"{v}.mp4/{n:06d}.png", f"{v}.mp4", n, "train",
                      [AGObject(CUP, None, True, (HOLDING,))])
              for v, numbers in (("AAAAA", (31, 1)), ("BBBBB", (11,))) for n in numbers]
    return ActionGenome(frames, fps={"AAAAA.mp4": 30.0, "BBBBB.mp4": 10.0})


def _entry(layout="paper"):
    return OBJECT_ROWS.index(CUP) * len(layout_relationships(layout)) + \
        list(layout_relationships(layout)).index(HOLDING)


def test_bank_round_trip_and_checks(tmp_path):
    bank = VideoBank("V", [0.0, 1.5], np.zeros((2, 875)), ["V.mp4/000001.png", "V.mp4/000046.png"])
    save_bank(str(tmp_path / "V.npz"), bank)
    out = load_bank(str(tmp_path / "V.npz"))
    assert out.video_id == "V" and out.times.tolist() == [0.0, 1.5] and out.features.shape == (2, 875)
    assert out.frame_keys == bank.frame_keys
    with pytest.raises(ValueError, match="increasing"):
        VideoBank("V", [1.0, 0.0], np.zeros((2, 875)), ["a", "b"])
    with pytest.raises(ValueError, match="layout"):
        VideoBank("V", [0.0], np.zeros((1, 10)), ["a"])
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="bad.npz"):
        load_bank(str(tmp_path / "bad.npz"))


def test_oracle_extraction_is_resumable(tmp_path):
    summary = extract_banks(_ag(), str(tmp_path), progress=False)
    assert sorted(summary.done) == ["AAAAA", "BBBBB"] and not summary.failed
    bank = load_bank(bank_path(str(tmp_path), "AAAAA"))
    assert bank.times.tolist() == [0.0, 1.0]   # frames 1 and 31 at 30 fps, sorted by time
    assert bank.features[:, _entry()].tolist() == [1.0, 1.0] and bank.features.sum() == 2
    (tmp_path / ".tmp-leftover.npz").write_bytes(b"partial")
    again = extract_banks(_ag(), str(tmp_path), progress=False)
    assert again.done == [] and sorted(again.skipped) == ["AAAAA", "BBBBB"]
    assert not list(tmp_path.glob(".tmp-*"))


def test_predicted_banks_and_failures_are_reported(tmp_path):
    ag = _ag()
    graphs = tmp_path / "graphs"
    rel = np.zeros((1, 26), np.float32)
    rel[0, HOLDING] = 0.5
    save_graphs(str(graphs / "AAAAA.npz"), [
        SceneGraph.from_predictions(np.zeros((2, 4)), [0, CUP], [0.9, 0.8], [1], rel, 0,
                                    frame_key=k) for k in ag.videos["AAAAA"]])
    summary = extract_banks(ag, str(tmp_path / "banks"), str(graphs), progress=False)
    assert summary.done == ["AAAAA"] and list(summary.failed) == ["BBBBB"]
    assert "BBBBB.npz" in summary.failed["BBBBB"]
    bank = load_bank(bank_path(str(tmp_path / "banks"), "AAAAA"))
    assert bank.features[:, _entry()] == pytest.approx([0.4, 0.4])


def test_cli_on_synthetic_annotations(tmp_path):
    from sgfb.synthetic import make_synthetic
    make_synthetic(str(tmp_path / "syn"), videos=3, seed=4, seconds=6.0, render=False)
    cmd = [sys.executable, str(ROOT / "tools" / "extract_banks.py"), "--annotations",
           str(tmp_path / "syn" / "annotations"), "--fps-table",
           str(tmp_path / "syn" / "charades" / "video_fps.json"), "--out", str(tmp_path / "b"),
           "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "0 failed" in proc.stdout and len(list((tmp_path / "b").glob("*.npz"))) >= 1
    failing = cmd[:-3] + ["--graphs", str(tmp_path / "nothing"), "--out", str(tmp_path / "c"),
                          "--no-progress"]
    assert subprocess.run(failing, capture_output=True, text=True).returncode == 1


def test_empty_bank_and_unreadable_rate_source(tmp_path):
    empty = VideoBank("E", [], np.zeros((0,)), [])
    save_bank(str(tmp_path / "E.npz"), empty)
    assert load_bank(str(tmp_path / "E.npz")).features.shape == (0, 875)
    (tmp_path / "no_videos_here").mkdir()  # rates read from videos that are not there
    ag = ActionGenome(_ag().frames.values(), fps=str(tmp_path / "no_videos_here"))
    summary = extract_banks(ag, str(tmp_path / "banks"), progress=False)
    assert sorted(summary.failed) == ["AAAAA", "BBBBB"] and "AAAAA.mp4" in summary.failed["AAAAA"]
