"""Predicted banks from frames sampled over the whole video (sgfb/feature_bank/video_banks.py),
with a predictor that reads each frame's pattern number, so every entry is exact."""
import subprocess

import numpy as np
import pytest

from sgfb.data.video import open_video
from sgfb.feature_bank.bank import bank_path, load_bank
from sgfb.feature_bank.video_banks import (extract_video_banks, sampled_indices, video_bank,
                                           video_ids)
from sgfb.structures.confidence import OBJECT_ROWS, layout_relationships
from sgfb.structures.scene_graph import SceneGraph
from sgfb.structures.vocab import OBJECTS, PERSON, RELATIONSHIPS
from videos_util import read_pattern, truncate_file, write_pattern_video, \
    write_timed_pattern_video

CUP, HOLDING = OBJECTS.index("cup/glass/bottle"), RELATIONSHIPS.index("holding")
ENTRY = OBJECT_ROWS.index(CUP) * len(layout_relationships("paper")) + \
    list(layout_relationships("paper")).index(HOLDING)


class PatternPredictor:
    """Frame ``i`` of a pattern video -> person holding a cup detected with score
    ``(i + 1) / 100``; ``empty=True``: nothing detected. Records the batches it was given."""

    def __init__(self, empty: bool = False) -> None:
        self.empty, self.batches = empty, []

    def predict(self, images, keys, ground_truth, mode):
        assert ground_truth is None and mode == "sgdet"
        self.batches.append(list(keys))
        out = []
        for image, key in zip(images, keys):
            if self.empty:
                out.append(SceneGraph.empty(key))
                continue
            rgb = (image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            relations = np.zeros((1, len(RELATIONSHIPS)), np.float32)
            relations[0, HOLDING] = 1.0
            out.append(SceneGraph([PERSON, CUP], [1.0, (read_pattern(rgb) + 1) / 100], 0, [1],
                                  relations, frame_key=key))
        return out


def test_frames_are_sampled_over_the_whole_video_at_the_rate(tmp_path):
    path = write_pattern_video(tmp_path / "V.mp4", 50, 25)
    predictor = PatternPredictor()
    bank = video_bank(predictor, path, "V", sample_fps=5, batch_size=3)
    frames = list(range(0, 50, 5))
    assert bank.video_id == "V" and bank.times.tolist() == pytest.approx([i / 25 for i in frames])
    assert bank.frame_keys == [f"V.mp4/{i + 1:06d}.png" for i in frames]
    assert bank.features[:, ENTRY].tolist() == pytest.approx([(i + 1) / 100 for i in frames])
    assert bank.features.sum() == pytest.approx(sum((i + 1) / 100 for i in frames))
    assert [len(b) for b in predictor.batches] == [3, 3, 3, 1]
    assert sampled_indices(50, 25.0, 5.0).tolist() == frames


def test_times_are_presentation_times_on_variable_frame_rate_video(tmp_path):
    slots = [0, 1, 2, 3, 4, 8, 9, 10, 20, 21, 22, 23, 40, 41, 60, 61, 62, 63, 64, 65]
    path = write_timed_pattern_video(tmp_path / "vfr.mp4", slots)     # 25 ticks per second
    bank = video_bank(PatternPredictor(), path, "vfr", sample_fps=5)
    with open_video(path) as reader:
        step = max(1, round(reader.fps / 5))       # the container's mean rate over 5
    picked = list(range(0, len(slots), step))
    assert bank.times.tolist() == pytest.approx([slots[i] / 25 for i in picked])
    assert bank.features[:, ENTRY].tolist() == pytest.approx([(i + 1) / 100 for i in picked])


def test_rotated_video_is_predicted_as_displayed(tmp_path, ffmpeg):
    source = write_pattern_video(tmp_path / "src.mp4", 10, 10)
    rotated = str(tmp_path / "R.mp4")
    subprocess.run([ffmpeg, "-v", "error", "-i", source, "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", rotated], check=True)
    sizes = []

    class SizePredictor(PatternPredictor):
        def predict(self, images, keys, ground_truth, mode):
            sizes.extend(tuple(i.shape[1:]) for i in images)
            return [SceneGraph.empty(k) for k in keys]

    bank = video_bank(SizePredictor(), rotated, "R", sample_fps=10)
    assert len(bank) == 10 and set(sizes) == {(96, 64)}   # 96x64 pattern turned upright


def test_a_video_where_nothing_is_detected_still_gets_a_bank(tmp_path):
    path = write_pattern_video(tmp_path / "V.mp4", 30, 10)
    bank = video_bank(PatternPredictor(empty=True), path, "V", sample_fps=1)
    assert bank.times.tolist() == [0.0, 1.0, 2.0] and not bank.features.any()


def test_extraction_is_resumable_and_reports_bad_videos(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    good = write_pattern_video(videos / "A.mp4", 20, 10)
    write_pattern_video(videos / "B.mp4", 20, 10, faststart=True)
    truncate_file(str(videos / "B.mp4"), str(videos / "cut.mp4"), 0.5)
    (videos / "zero.mp4").write_bytes(b"")
    inputs = video_ids([good, str(videos / "B.mp4"), str(videos / "cut.mp4"),
                        str(videos / "zero.mp4"), str(videos / "missing.mp4")])
    out = tmp_path / "banks"
    summary = extract_video_banks(PatternPredictor(), inputs, str(out), sample_fps=5,
                                  progress=False)
    assert summary.done == ["A", "B"]
    assert sorted(summary.failed) == ["cut", "missing", "zero"]
    for name in ("cut", "missing", "zero"):
        assert f"{name}.mp4" in summary.failed[name]          # the message names the file
        assert not (out / f"{name}.npz").exists()
    assert load_bank(bank_path(str(out), "A")).times.tolist() == pytest.approx([0.0, 0.2, 0.4,
                                                                                0.6, 0.8, 1.0,
                                                                                1.2, 1.4, 1.6,
                                                                                1.8])
    before = (out / "A.npz").read_bytes()
    (out / ".tmp-leftover.npz").write_bytes(b"partial")
    again = extract_video_banks(PatternPredictor(), inputs, str(out), sample_fps=5,
                                progress=False)
    assert again.done == [] and again.skipped == ["A", "B"] and sorted(again.failed) == \
        ["cut", "missing", "zero"]
    assert (out / "A.npz").read_bytes() == before and not list(out.glob(".tmp-*"))
    with pytest.raises(ValueError, match="sample_fps"):
        extract_video_banks(PatternPredictor(), inputs, str(out), sample_fps=0, progress=False)


def test_two_videos_with_one_id_are_an_error_naming_both():
    assert video_ids(["/a/X.mp4", "/b/Y.avi"]) == {"X": "/a/X.mp4", "Y": "/b/Y.avi"}
    with pytest.raises(ValueError, match=r"'X'.*/a/X\.mp4 and /b/X\.webm"):
        video_ids(["/a/X.mp4", "/b/X.webm"])
