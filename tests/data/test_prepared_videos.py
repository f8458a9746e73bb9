"""sgfb.data.prepared_videos and tools/prepare_videos.py: training copies keep every frame
and its time (VFR and rotation included), resumable per video, used by the loader when
current."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from videos_util import (read_pattern, write_pattern_video,  # noqa: E402
                         write_timed_pattern_video)

from sgfb.data.charades import Charades, CharadesVideo  # noqa: E402
from sgfb.data.clip_dataset import CharadesClips  # noqa: E402
from sgfb.data.prepared_videos import (MANIFEST, PreparedVideos, PrepareSettings,  # noqa: E402
                                       encode_prepared, is_current, prepared_size,
                                       read_manifest)
from sgfb.data.video import index_video, open_video  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIG = (192, 128)  # pattern blocks of 16 px survive a halving to 96x64
SMALL = PrepareSettings(short_side=64, keyint=8)


def patterns(frames):
    return [read_pattern(frame) for frame in frames]


def big_patterns(frames):
    """Frame numbers of the frames of a halved copy of a BIG pattern video."""
    return patterns(cv2.resize(f, BIG, interpolation=cv2.INTER_NEAREST) for f in frames)


def test_prepared_size():
    assert prepared_size(640, 480, 320) == (426, 320)
    assert prepared_size(1080, 1920, 256) == (256, 456)  # portrait
    assert prepared_size(320, 240, 320) == (320, 240)    # never enlarged
    assert prepared_size(101, 61, 320) == (100, 60)      # even sides for 4:2:0
    with pytest.raises(ValueError, match="even"):
        PrepareSettings(short_side=255).check()
    with pytest.raises(ValueError, match="keyint"):
        PrepareSettings(keyint=0).check()


def test_copy_keeps_frames_and_times_with_short_gop(tmp_path):
    source = write_pattern_video(tmp_path / "src.mp4", 40, 25, size=BIG, gop=250)
    entry = encode_prepared(source, str(tmp_path / "out" / "src.mp4"), SMALL)
    copy = str(tmp_path / "out" / "src.mp4")
    assert (entry["frames"], entry["width"], entry["height"]) == (40, 96, 64)
    assert entry["bytes"] == os.path.getsize(copy) and entry["source"] == source
    assert entry["settings"]["keyint"] == 8
    a, b = index_video(source), index_video(copy)
    assert a.keyframes.tolist() == [0]  # precondition: the source has one keyframe
    assert b.keyframes.tolist() == [0, 8, 16, 24, 32]
    assert (b.num_frames, b.fps, b.width, b.height) == (40, a.fps, 96, 64)
    with open_video(source, "pyav") as s, open_video(copy, "pyav") as c:
        np.testing.assert_array_equal(s.timestamps(), c.timestamps())
        assert big_patterns(c.get_frames(range(40))) == list(range(40))
    assert os.listdir(tmp_path / "out") == ["src.mp4"]  # no temporaries left


def _picture_types(path):
    import av
    from av.video.frame import PictureType

    with av.open(path) as container:
        return "".join(PictureType(f.pict_type).name for f in container.decode(video=0))


@pytest.mark.parametrize("fixed", [True, False])
def test_copies_have_fixed_b_frame_runs_unless_adaptive(tmp_path, fixed):
    """fixed_bframes (default): x264 always puts --bframes B-frames between references (the
    last frame before a keyframe is a P-frame: closed GOPs), so the references lie every 4
    frames and a stride-4 clip skips 2 or 3 of every 4 frames undecoded. Adaptive placement
    (x264's default) chooses fewer B-frames on this slowly changing pattern video."""
    source = write_pattern_video(tmp_path / "src.mp4", 24, 25, size=BIG, gop=250)
    copy = str(tmp_path / "copy.mp4")
    entry = encode_prepared(source, copy, PrepareSettings(short_side=64, keyint=8,
                                                          fixed_bframes=fixed))
    assert entry["settings"]["fixed_bframes"] is fixed
    types = _picture_types(copy)
    if fixed:
        assert types == "IBBBPBBP" * 3
    else:
        assert len(types) == 24 and types.count("B") < 12
    with open_video(copy, "pyav") as c:  # every frame still there, skipping or not
        assert big_patterns(c.get_frames(range(24))) == list(range(24))
        assert big_patterns(c.get_frames(range(1, 24, 4))) == list(range(1, 24, 4))


def test_copy_of_a_vfr_video_keeps_its_timestamps(tmp_path):
    slots = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25, 26, 40, 41, 42]
    source = write_timed_pattern_video(tmp_path / "vfr.mp4", slots=slots)
    copy = str(tmp_path / "vfr_copy.mp4")
    encode_prepared(source, copy, PrepareSettings(short_side=64, keyint=4))
    with open_video(source, "pyav") as s, open_video(copy, "pyav") as c:
        assert c.num_frames == len(slots)
        np.testing.assert_allclose(c.timestamps(), s.timestamps(), atol=1e-9)
        assert patterns(c.get_frames(range(len(slots)))) == list(range(len(slots)))


def test_copy_of_a_rotated_video_is_upright(tmp_path, ffmpeg):
    source = write_pattern_video(tmp_path / "src.mp4", 10, 25)
    rotated = str(tmp_path / "rot90.mp4")
    subprocess.run([ffmpeg, "-v", "error", "-i", source, "-c", "copy", "-metadata:s:v:0",
                    "rotate=90", rotated], check=True)
    copy = str(tmp_path / "copy.mp4")
    entry = encode_prepared(rotated, copy, PrepareSettings(short_side=96))
    assert (entry["width"], entry["height"]) == (64, 96)
    with open_video(rotated, "pyav") as r, open_video(copy, "pyav") as c:
        assert c.index.rotation == 0 and (c.width, c.height) == (r.width, r.height)
        diff = np.abs(c.get_frames(range(10)).astype(int) - r.get_frames(range(10)))
        assert diff.mean() < 4


def test_manifest_and_currency(tmp_path):
    source = write_pattern_video(tmp_path / "a.mp4", 12, 25, size=BIG)
    out = tmp_path / "prep"
    out.mkdir()
    target = str(out / "a.mp4")
    entry = {"name": "a.mp4", **encode_prepared(source, target, SMALL)}
    with open(out / MANIFEST, "w") as f:
        f.write(json.dumps(entry) + "\n" + '{"name": "b.mp4", "sour')  # cut-off last line
    assert list(read_manifest(str(out))) == ["a.mp4"]
    assert is_current(entry, source, target, SMALL)
    assert not is_current(entry, source, target, PrepareSettings(short_side=64, keyint=16))
    assert not is_current(None, source, target)
    prepared = PreparedVideos(str(out))
    assert prepared.path(source, "a.mp4") == target
    os.utime(source, ns=(1, 1))  # the source changed: its copy is stale
    assert not is_current(entry, source, target)
    assert PreparedVideos(str(out)).path(source, "a.mp4") == source
    with pytest.raises(FileNotFoundError, match="prepare_videos"):
        PreparedVideos(str(tmp_path))


def run_tool(*args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "prepare_videos.py"), *args],
                          capture_output=True, text=True)


@pytest.mark.slow
def test_tool_resumes_reencodes_changed_sources_and_names_failures(tmp_path):
    videos = tmp_path / "videos"
    (videos / "sub").mkdir(parents=True)
    write_pattern_video(videos / "a.mp4", 20, 25, size=BIG)
    write_pattern_video(videos / "sub" / "b.mp4", 16, 25, size=BIG)
    out = tmp_path / "prep"
    common = ["--videos", str(videos), "--out", str(out), "--short-side", "64", "--keyint", "8"]
    proc = run_tool(*common, "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    assert "0 already prepared, 2 to encode" in proc.stdout
    assert sorted(read_manifest(str(out))) == ["a.mp4", "sub/b.mp4"]
    assert index_video(str(out / "sub" / "b.mp4")).num_frames == 16
    again = run_tool(*common)
    assert again.returncode == 0 and "2 already prepared, 0 to encode" in again.stdout
    os.utime(videos / "a.mp4", ns=(5, 5))
    (videos / "bad.mp4").write_bytes(b"not a video at all" * 10)
    third = run_tool(*common)
    assert third.returncode == 1 and "1 already prepared, 2 to encode" in third.stdout
    assert "bad.mp4" in third.stderr and third.stderr.count("error:") == 1
    assert not (out / "bad.mp4").exists() and is_current(
        read_manifest(str(out))["a.mp4"], str(videos / "a.mp4"), str(out / "a.mp4"))
    changed = run_tool(*common[:-1], "16")  # other settings: every copy is re-encoded
    assert "0 already prepared, 3 to encode" in changed.stdout
    assert read_manifest(str(out))["a.mp4"]["settings"]["fixed_bframes"] is True
    adaptive = run_tool(*common[:-1], "16", "--adaptive-bframes")
    assert "0 already prepared, 3 to encode" in adaptive.stdout
    assert read_manifest(str(out))["a.mp4"]["settings"]["fixed_bframes"] is False
    inside = run_tool("--videos", str(videos), "--out", str(videos / "prep"))
    assert inside.returncode == 1 and "inside the input folder" in inside.stderr


def test_loader_reads_current_copies_and_falls_back_to_originals(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("AAAAA", "BBBBB"):
        write_pattern_video(videos / f"{name}.mp4", 40, 25, size=BIG, gop=250)
    out = tmp_path / "prep"
    out.mkdir()
    entry = encode_prepared(str(videos / "AAAAA.mp4"), str(out / "AAAAA.mp4"), SMALL)
    with open(out / MANIFEST, "w") as f:
        f.write(json.dumps({"name": "AAAAA.mp4", **entry}) + "\n")
    ids = ["AAAAA", "BBBBB"]
    charades = Charades([CharadesVideo(v, 0.0, [], "train") for v in ids], ["none"])
    kwargs = dict(num_frames=4, stride=3, crop=48, scale_range=(64, 64), seed=1,
                  backend="pyav", flip_prob=0.0)
    plain = CharadesClips(str(videos), charades, ids, **kwargs)
    fast = CharadesClips(str(videos), charades, ids, prepared_dir=str(out), **kwargs)
    assert fast.video_path("AAAAA") == str(out / "AAAAA.mp4")
    assert fast.video_path("BBBBB") == fast.source_path("BBBBB") == str(videos / "BBBBB.mp4")
    for i in range(2):
        a, b = plain[i], fast[i]
        assert a["frame_indices"].tolist() == b["frame_indices"].tolist()
        assert a["center_time"] == b["center_time"]
        same = torch.equal(a["frames"], b["frames"])
        assert same == (i == 1)  # the copy was re-encoded: close, not equal
        assert (a["frames"] - b["frames"]).abs().mean() < 0.1
