"""tools/benchmark_data.py and sgfb.data.loader_benchmark on tiny ffmpeg-made videos: the
training data path decodes exactly the frames a plain PyAV seek-and-decode gives."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from sgfb.data.charades import Charades, CharadesVideo
from sgfb.data.clip_dataset import CharadesClips
from sgfb.data.clip_transforms import apply_train_params, resized_size, sample_train_params
from sgfb.data.clips import random_clip
from sgfb.data.loader_benchmark import clip_records, epoch_items, reference_clip
from sgfb.data.video import index_video

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "sgfb" / "small_synthetic.yaml"


def make_video(ffmpeg: str, path: Path, seconds: float, keyint: int, bframes: int) -> str:
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc2=size=160x120:rate=25:duration={seconds}", "-c:v", "libx264",
                    "-preset", "veryfast", "-g", str(keyint), "-bf", str(bframes),
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return str(path)


@pytest.fixture(scope="module")
def videos(ffmpeg, tmp_path_factory):
    root = tmp_path_factory.mktemp("bench") / "videos"
    root.mkdir()
    make_video(ffmpeg, root / "AAAAA.mp4", 4, 250, 3)   # one keyframe: long pre-roll
    make_video(ffmpeg, root / "BBBBB.mp4", 3, 16, 2)    # short GOP
    make_video(ffmpeg, root / "CCCCC.mp4", 2, 30, 0)    # no B-frames
    return root


@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_training_items_are_the_reference_frames_transformed(videos, backend):
    ids = ["AAAAA", "BBBBB", "CCCCC"]
    charades = Charades([CharadesVideo(v, 0.0, [], "train") for v in ids], ["none"])
    ds = CharadesClips(str(videos), charades, ids, num_frames=8, stride=4, crop=64,
                       scale_range=(80, 96), seed=2, backend=backend)
    for epoch in (0, 1, 2):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            item = ds[i]
            path = ds.video_path(ids[i])
            index = index_video(path)
            rng = ds.rng(i)
            indices = random_clip(index.num_frames, 8, 4, rng)
            assert item["frame_indices"].tolist() == indices.tolist()
            frames = reference_clip(path, index.pts[indices].tolist())
            params = sample_train_params(*frames.shape[1:3], rng, 64, (80, 96))
            height, width = resized_size(*frames.shape[1:3], params.short_side)
            resized = np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_LINEAR)
                                for f in frames])  # frame by frame, as decoded
            assert torch.equal(item["frames"], apply_train_params(resized, params, 64))
    assert ds.readers.indexed == 3


def test_clip_records_name_files_frames_and_times(videos):
    path = str(videos / "BBBBB.mp4")
    record, = clip_records([("BBBBB", [0, 25, 50])], lambda v: str(videos / f"{v}.mp4"))
    line = json.loads(record.to_json())
    assert line["video"] == path and line["frames"] == [0, 25, 50]
    assert line["times_s"] == [0.0, 1.0, 2.0]
    tb = line["time_base"].split("/")
    assert [p * int(tb[0]) / int(tb[1]) for p in line["pts"]] == pytest.approx(
        [t + line["pts"][0] * int(tb[0]) / int(tb[1]) for t in line["times_s"]])
    frames = reference_clip(path, line["pts"])
    assert frames.shape == (3, 120, 160, 3) and frames.dtype == np.uint8


def test_epoch_items_cover_the_clip_count():
    assert epoch_items(3, 7) == [(0, [0, 1, 2]), (1, [0, 1, 2]), (2, [0])]
    assert epoch_items(5, 2) == [(0, [0, 1])]
    with pytest.raises(ValueError, match="no items"):
        epoch_items(0, 1)


def run_tool(*args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "benchmark_data.py"), *args],
                          capture_output=True, text=True)


@pytest.mark.slow
def test_tool_prints_both_sides_and_writes_the_clips(videos, tmp_path):
    out = tmp_path / "clips.jsonl"
    proc = run_tool("--config", str(CONFIG), "--videos", str(videos), "--num-clips", "5",
                    "--seed", "1", "--workers", "1", "--clips-out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("3 videos, 5 clips of 8 frames at stride 8")
    assert any(line.startswith("loader:") and "clips/s" in line for line in lines)
    assert any(line.startswith("reference:") for line in lines)
    assert "ratio (loader / reference CPU per clip)" in lines[-1]
    clips = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(clips) == 5
    assert [Path(c["video"]).stem for c in clips] == ["AAAAA", "BBBBB", "CCCCC"] * 1 + \
        ["AAAAA", "BBBBB"]
    for clip in clips:  # another program decodes exactly these frames
        frames = reference_clip(clip["video"], clip["pts"])
        assert frames.shape[0] == 8 and len(clip["frames"]) == 8
        assert np.all(np.diff(clip["frames"]) >= 0)
    again = run_tool("--config", str(CONFIG), "--videos", str(videos), "--num-clips", "5",
                     "--seed", "1", "--workers", "0", "--no-reference", "--clips-out",
                     str(tmp_path / "again.jsonl"))
    assert again.returncode == 0, again.stderr
    assert "reference:" not in again.stdout
    assert (tmp_path / "again.jsonl").read_text() == out.read_text()  # workers change nothing


def test_tool_errors_name_the_input(videos, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_tool("--config", str(CONFIG), "--videos", str(empty), "--num-clips", "2",
                    "--seed", "0")
    assert proc.returncode != 0 and "no videos" in proc.stderr and str(empty) in proc.stderr
    proc = run_tool("--config", str(CONFIG), "--videos", str(tmp_path / "missing"),
                    "--num-clips", "2", "--seed", "0")
    assert proc.returncode != 0 and "missing" in proc.stderr
    proc = run_tool("--config", str(CONFIG), "--videos", str(videos), "--num-clips", "0",
                    "--seed", "0")
    assert proc.returncode == 2
    proc = run_tool("--config", str(CONFIG), "--videos", str(videos), "--num-clips", "1",
                    "--seed", "0", "--clips-out", str(videos / "AAAAA.mp4"))
    assert proc.returncode != 0 and "--clips-out" in proc.stderr
