"""sgfb.data.frame_dump and tools/dump_frames.py: AG numbering, ffmpeg equality, resume,
failures, CLI exit status."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from videos_util import (psnr, read_pattern, truncate_file,  # noqa: E402
                         write_pattern_video)

from sgfb.data.frame_dump import (MARKER_NAME, DumpSummary, FrameRangeError,  # noqa: E402
                                  dump_frames, dump_video, group_frame_keys)
from sgfb.data.action_genome import read_frame_keys

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FRAMES = {"AAAAA.mp4": [1, 2, 13, 40], "BBBBB.mp4": [7, 25, 26], "CCCCC.mp4": [30]}
RATES = {"AAAAA.mp4": Fraction(30000, 1001), "BBBBB.mp4": 25, "CCCCC.mp4": 24}


def keys_of(frames: dict) -> list:
    return [f"{video}/{n:06d}.png" for video, numbers in frames.items() for n in numbers]


@pytest.fixture(scope="module")
def videos_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("charades")
    for name, rate in RATES.items():
        write_pattern_video(root / name, 40, rate)
    (root / "BROKEN.mp4").write_bytes(np.random.default_rng(1).bytes(5000))
    whole = write_pattern_video(tmp_path_factory.mktemp("whole") / "w.mp4", 40, 25,
                                faststart=True)
    truncate_file(whole, str(root / "CUT.mp4"), 0.6)  # header intact, tail missing
    return root


def frame_numbers_on_disk(video_dir: Path) -> list:
    return sorted(int(p.stem) for p in video_dir.glob("*.png"))


def test_group_frame_keys():
    keys = ["b.mp4/000010.png", "a.mp4/000002.png", "b.mp4/000003.png", "b.mp4/000010.png"]
    groups = group_frame_keys(keys)
    assert groups == {"a.mp4": [2], "b.mp4": [3, 10]}
    assert list(groups) == ["a.mp4", "b.mp4"]


@pytest.mark.parametrize("key", ["a.mp4/00001.jpg", "a.mp4", "a.mp4/000000.png", "/000001.png"])
def test_group_frame_keys_rejects_malformed_key(key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        group_frame_keys(["ok.mp4/000001.png", key])


def test_dump_video_writes_exactly_the_requested_frames(videos_dir, tmp_path):
    out = tmp_path / "AAAAA.mp4"
    assert dump_video(videos_dir / "AAAAA.mp4", [40, 1, 13, 13], out) == 3
    assert sorted(os.listdir(out)) == [MARKER_NAME, "000001.png", "000013.png", "000040.png"]
    for number in (1, 13, 40):  # AG frame n is decoded frame n - 1
        assert read_pattern(cv2.imread(str(out / f"{number:06d}.png"))) == number - 1
    assert json.loads((out / MARKER_NAME).read_text())["frames"] == [1, 13, 40]
    assert os.listdir(tmp_path) == ["AAAAA.mp4"]  # no temporary directory left


@pytest.mark.parametrize("backend", ["pyav", "auto"])
def test_dump_video_backends_write_the_same_frames(videos_dir, tmp_path, backend):
    dump_video(videos_dir / "BBBBB.mp4", [7, 26], tmp_path / "b", backend=backend)
    assert [read_pattern(cv2.imread(str(tmp_path / "b" / f"{n:06d}.png"))) for n in (7, 26)] \
        == [6, 25]


def test_frame_beyond_the_end_names_video_and_frame(videos_dir, tmp_path):
    with pytest.raises(FrameRangeError, match=r"CCCCC\.mp4: frame 41 requested.*only 40 frames"):
        dump_video(videos_dir / "CCCCC.mp4", [3, 41], tmp_path / "CCCCC.mp4")
    assert os.listdir(tmp_path) == []


def test_dump_frames_equals_ffmpeg_frames(videos_dir, tmp_path, ffmpeg):
    summary = dump_frames(videos_dir, keys_of(FRAMES), tmp_path / "frames", workers=2,
                          progress=False)
    assert summary.failed == {}
    assert summary.done == sorted(FRAMES) and summary.skipped == []
    assert summary.frames_written == sum(len(v) for v in FRAMES.values())
    for video, numbers in FRAMES.items():
        reference = tmp_path / "ffmpeg" / video
        reference.mkdir(parents=True)
        subprocess.run([ffmpeg, "-v", "error", "-i", str(videos_dir / video),
                        str(reference / "%06d.png")], check=True)
        ours = tmp_path / "frames" / video
        assert frame_numbers_on_disk(ours) == numbers
        for number in numbers:
            a = cv2.imread(str(ours / f"{number:06d}.png"))
            b = cv2.imread(str(reference / f"{number:06d}.png"))
            assert a.shape == b.shape and psnr(a, b) >= 40, (video, number)


def test_resume_skips_finished_and_redoes_partial(videos_dir, tmp_path):
    out = tmp_path / "frames"
    first = dump_frames(videos_dir, keys_of(FRAMES), out, progress=False)
    assert first.done == sorted(FRAMES)

    second = dump_frames(videos_dir, keys_of(FRAMES), out, progress=False)
    assert second == DumpSummary(done=[], skipped=sorted(FRAMES), failed={}, frames_written=0)

    partial = out / "BBBBB.mp4"  # an interrupted run (or another tool) left no marker
    (partial / MARKER_NAME).unlink()
    (partial / "000025.png").unlink()
    (partial / "junk.png").write_bytes(b"x")
    stale = out / "BBBBB.mp4.tmp-dead"  # temporary directory of a killed run
    stale.mkdir()
    more = {**FRAMES, "CCCCC.mp4": [30, 31]}  # a new annotated frame: the video is redone
    third = dump_frames(videos_dir, keys_of(more), out, progress=False)
    assert third.done == ["BBBBB.mp4", "CCCCC.mp4"] and third.skipped == ["AAAAA.mp4"]
    assert third.frames_written == 5
    assert sorted(os.listdir(partial)) == [MARKER_NAME, "000007.png", "000025.png", "000026.png"]
    assert frame_numbers_on_disk(out / "CCCCC.mp4") == [30, 31]
    assert not stale.exists()
    assert sorted(os.listdir(out)) == sorted(FRAMES)


@pytest.mark.parametrize("workers", [1, 2])
def test_broken_and_missing_videos_are_reported_and_others_done(videos_dir, tmp_path, workers):
    keys = keys_of(FRAMES) + ["BROKEN.mp4/000001.png", "MISSING.mp4/000003.png",
                              "CCCCC.mp4/000099.png"]
    summary = dump_frames(videos_dir, keys, tmp_path, workers=workers, progress=False)
    assert summary.done == ["AAAAA.mp4", "BBBBB.mp4"]
    assert sorted(summary.failed) == ["BROKEN.mp4", "CCCCC.mp4", "MISSING.mp4"]
    assert "BROKEN.mp4" in summary.failed["BROKEN.mp4"]
    assert "MISSING.mp4" in summary.failed["MISSING.mp4"]
    assert "frame 99" in summary.failed["CCCCC.mp4"]
    assert not (tmp_path / "BROKEN.mp4").exists() and not (tmp_path / "CCCCC.mp4").exists()
    assert "3 failed" in summary.format() and "FAILED BROKEN.mp4" in summary.format()


@pytest.mark.parametrize("backend", ["pyav", "auto"])
def test_truncated_video_fails_by_name_even_for_frames_before_the_cut(videos_dir, tmp_path,
                                                                     backend):
    summary = dump_frames(videos_dir, ["CUT.mp4/000001.png", "AAAAA.mp4/000001.png"],
                          tmp_path, progress=False, backend=backend)
    assert summary.done == ["AAAAA.mp4"] and list(summary.failed) == ["CUT.mp4"]
    assert "CUT.mp4: truncated or corrupt video (missing tail" in summary.failed["CUT.mp4"]
    assert "of the 40 frames listed in its header" in summary.failed["CUT.mp4"]
    assert not (tmp_path / "CUT.mp4").exists()


def test_read_frame_keys_sources(tmp_path):
    keys = ["a.mp4/000001.png", "a.mp4/000005.png"]
    (tmp_path / "object_bbox_and_relationship.pkl").write_bytes(
        pickle.dumps({k: [{"class": "cup"}] for k in keys}, protocol=2))
    assert read_frame_keys(tmp_path) == keys  # no frame_list.txt: the pickle's keys
    assert read_frame_keys(tmp_path / "object_bbox_and_relationship.pkl") == keys
    (tmp_path / "frame_list.txt").write_text("b.mp4/000002.png\n\n  b.mp4/000004.png  \n")
    assert read_frame_keys(tmp_path) == ["b.mp4/000002.png", "b.mp4/000004.png"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="empty.*frame_list.txt"):
        read_frame_keys(empty)


def _cli(videos_dir: Path, annotations: Path, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "dump_frames.py"),
                           "--videos", str(videos_dir), "--annotations", str(annotations),
                           "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_exit_status(videos_dir, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "frame_list.txt").write_text("\n".join(keys_of({"AAAAA.mp4": [1, 2]})) + "\n")
    run = _cli(videos_dir, good, tmp_path / "out")
    assert run.returncode == 0, run.stderr
    assert "1 videos done" in run.stdout
    assert frame_numbers_on_disk(tmp_path / "out" / "AAAAA.mp4") == [1, 2]

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "frame_list.txt").write_text("AAAAA.mp4/000001.png\nBROKEN.mp4/000001.png\n")
    run = _cli(videos_dir, bad, tmp_path / "out")
    assert run.returncode == 1
    assert "1 already complete" in run.stdout and "FAILED BROKEN.mp4" in run.stdout


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("where", ["videos", "videos/frames", "."])
def test_cli_refuses_outputs_over_into_or_around_the_videos(videos_dir, tmp_path, where):
    (tmp_path / "frame_list.txt").write_text("AAAAA.mp4/000001.png\n")
    copy = tmp_path / "videos"
    copy.mkdir()
    for name in ("AAAAA.mp4", "BBBBB.mp4"):
        (copy / name).write_bytes((videos_dir / name).read_bytes())
    before = _tree(copy)
    run = _cli(copy, tmp_path / "frame_list.txt", tmp_path / where)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("dump_frames.py: error: --out ")
    assert _tree(copy) == before and not (copy / "frames").exists()


def test_cli_names_an_empty_videos_folder_and_refuses_zero_workers(tmp_path):
    (tmp_path / "frame_list.txt").write_text("AAAAA.mp4/000001.png\n")
    (tmp_path / "empty").mkdir()
    run = _cli(tmp_path / "empty", tmp_path / "frame_list.txt", tmp_path / "out")
    assert run.returncode == 1 and not (tmp_path / "out").exists()
    assert run.stderr.strip() == (f"dump_frames.py: error: {tmp_path / 'empty'}: no video files "
                                  "in this folder (looked for .mp4, .avi, .mkv, .webm, .mov, .m4v)")
    zero = subprocess.run([sys.executable, str(PROJECT_ROOT / "tools" / "dump_frames.py"),
                           "--videos", str(tmp_path), "--annotations", str(tmp_path),
                           "--out", str(tmp_path / "out"), "--workers", "0"],
                          capture_output=True, text=True, timeout=120)
    assert zero.returncode == 2 and "error: argument --workers: '0' is not a positive" in zero.stderr


def test_dump_matches_ffmpeg_images_on_a_vfr_file_with_gaps(ffmpeg, tmp_path):
    from videos_util import write_timed_pattern_video

    videos = tmp_path / "videos"
    videos.mkdir()
    path = write_timed_pattern_video(videos / "VFR.mp4", [0, 1, 2, 3, 4, 8, 9, 10, 20, 21, 22])
    (tmp_path / "png").mkdir()
    subprocess.run([ffmpeg, "-v", "error", "-i", path, str(tmp_path / "png" / "%06d.png")],
                   check=True)
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == 23  # ffmpeg fills the gaps
    numbers = [1, 5, 6, 7, 8, 12, 19, 20, 23]
    summary = dump_frames(videos, [f"VFR.mp4/{n:06d}.png" for n in numbers], tmp_path / "out",
                          progress=False)
    assert summary.ok, summary.format()
    for n in numbers:
        ours = cv2.imread(str(tmp_path / "out" / "VFR.mp4" / f"{n:06d}.png"))
        theirs = cv2.imread(str(pngs[n - 1]))
        assert read_pattern(ours) == read_pattern(theirs)
        assert psnr(ours, theirs) >= 40
    late = dump_frames(videos, ["VFR.mp4/000024.png"], tmp_path / "out2", progress=False)
    assert "frame 24 requested but the video has only 23 frames" in late.failed["VFR.mp4"]
