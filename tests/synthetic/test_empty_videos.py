"""Action-less videos in the synthetic world: how many (``empty_video_share``) and that the
share changes nothing else."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sgfb.data.safe_pickle import load_pickle
from sgfb.synthetic import make_synthetic
from sgfb.synthetic.schedule import EMPTY_VIDEO_PROBABILITY, plan_actions

ROOT = Path(__file__).resolve().parents[2]


def plans(share):
    return [plan_actions(np.random.default_rng([4, i]), 8.0, share) for i in range(400)]


def test_the_share_decides_only_whether_a_video_is_empty():
    default, never, always = plans(EMPTY_VIDEO_PROBABILITY), plans(0.0), plans(1.0)
    assert all(p == [] for p in always)
    assert all(p for p in never)
    empty = [i for i, p in enumerate(default) if not p]
    assert 3 <= len(empty) <= 25                     # 3 % of 400 is 12
    assert all(default[i] == never[i] for i in range(400) if i not in empty)


def rows(folder: Path):
    out = {}
    for split in ("train", "test"):
        with open(folder / "charades" / f"Charades_v1_{split}.csv", newline="") as f:
            out.update({r["id"]: r for r in csv.DictReader(f)})
    return out


def test_a_world_without_empty_videos_differs_only_in_the_videos_that_were_empty(tmp_path):
    make_synthetic(str(tmp_path / "charades_like"), 48, 0, seconds=8.0, render=False)
    make_synthetic(str(tmp_path / "none"), 48, 0, seconds=8.0, render=False,
                   empty_video_share=0.0)
    before, after = rows(tmp_path / "charades_like"), rows(tmp_path / "none")
    empty = sorted(v for v, r in before.items() if not r["actions"])
    assert empty == ["1TI4Z", "AT173"]               # the demo's seed-0 world: test, train
    assert all(r["actions"] for r in after.values())
    assert {v: r for v, r in before.items() if v not in empty} == \
        {v: r for v, r in after.items() if v not in empty}
    graphs = {name: load_pickle(str(tmp_path / name / "annotations" /
                                    "object_bbox_and_relationship.pkl"))
              for name in ("charades_like", "none")}

    def video(key):
        return key.split(".mp4/")[0]
    assert not any(video(k) in empty for k in graphs["charades_like"])
    assert {video(k) for k in graphs["none"]} >= set(empty)
    assert {k: v for k, v in graphs["none"].items() if video(k) not in empty} == \
        graphs["charades_like"]


def test_a_world_of_empty_videos_has_no_annotated_frame(tmp_path):
    summary = make_synthetic(str(tmp_path / "w"), 3, 2, size=(96, 72), seconds=1.5, workers=1,
                             empty_video_share=1.0)
    assert (summary.annotated_frames, summary.action_instances) == (0, 0)
    assert len(list((tmp_path / "w" / "videos").glob("*.mp4"))) == 3
    assert all(not r["actions"] for r in rows(tmp_path / "w").values())


@pytest.mark.parametrize("share", [-0.1, 1.5, True, "half", float("nan")])
def test_a_bad_share_is_refused_by_name(tmp_path, share):
    with pytest.raises(ValueError, match="empty_video_share"):
        make_synthetic(str(tmp_path / "w"), 1, 0, size=(64, 48), seconds=1.5, workers=1,
                       render=False, empty_video_share=share)


def test_the_tools_take_the_share(tmp_path):
    tool = str(ROOT / "tools" / "make_synthetic.py")
    proc = subprocess.run([sys.executable, tool, "--out", str(tmp_path / "w"), "--videos", "4",
                           "--seed", "1", "--seconds", "2", "--annotations-only",
                           "--empty-video-share", "1"], capture_output=True, text=True,
                          check=True)
    assert "0 annotated frames, 0 action instances" in proc.stdout
    for tool_name in ("make_synthetic.py", "demo.py"):
        bad = subprocess.run([sys.executable, str(ROOT / "tools" / tool_name), "--out",
                              str(tmp_path / "x"), "--videos", "6", "--seed", "1",
                              "--empty-video-share", "2"], capture_output=True, text=True)
        assert bad.returncode == 2 and "'2' is not a number between 0 and 1" in bad.stderr, \
            (tool_name, bad.stderr)
        assert not (tmp_path / "x").exists()
