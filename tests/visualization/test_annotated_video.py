"""sgfb.visualization.annotated_video: frame count, rate, drawn pixels, holding, atomicity."""
from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / "inference"))
from results_util import make_result, rich_graph  # noqa: E402
from videos_util import psnr, read_pattern, write_pattern_video  # noqa: E402

from sgfb.data.video import VideoDecodeError, open_video  # noqa: E402
from sgfb.inference.result import FramePrediction, VideoResult  # noqa: E402
from sgfb.visualization.annotated_video import (default_codec, scale_graph,  # noqa: E402
                                                write_annotated_video)

N = 30
SAMPLED = (10, 20)
RATE = Fraction(30000, 1001)


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    return write_pattern_video(tmp_path_factory.mktemp("src") / "src.mp4", N, RATE)


def _result(path: str, empty: bool = False) -> VideoResult:
    fps = float(RATE)
    frames = [FramePrediction(i, i / fps, rich_graph() if not empty else
                              make_result(empty=True).sampled_frames[0].graph)
              for i in SAMPLED]
    return VideoResult("src", path, N / fps, fps, N, frames)


def _decode_all(path: str) -> np.ndarray:
    with open_video(path, backend="pyav") as video:
        return video.get_frames(range(video.num_frames))


def _box_edge(frames: np.ndarray, index: int) -> np.ndarray:
    """Pixels on the chair box's left edge (x = 20, y 40..60; below the label)."""
    return frames[index, 40:60, 19:22].astype(np.int32)


@pytest.fixture(scope="module")
def held(source, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("out") / "annotated.mp4"
    return write_annotated_video(source, _result(source), str(out), threads=1)


def test_same_frame_count_rate_and_size(source, held):
    with open_video(held) as out, open_video(source) as src:
        assert out.num_frames == src.num_frames == N
        assert out.fps == pytest.approx(src.fps, abs=1e-9)
        assert (out.width, out.height) == (src.width, src.height)
    with av.open(held) as container:
        expected = "h264" if default_codec() == "libx264" else "mpeg4"
        assert container.streams.video[0].codec_context.name == expected


def test_boxes_drawn_on_sampled_and_held_frames_only(source, held):
    src, out = _decode_all(source), _decode_all(held)
    for i in range(SAMPLED[0]):  # before the first sample: untouched (up to compression)
        assert psnr(out[i], src[i]) > 30, i
        assert read_pattern(out[i]) == i
    for i in (10, 15, 20, 29):   # sampled (10, 20) and held in between / after
        change = np.abs(_box_edge(out, i) - _box_edge(src, i)).mean()
        assert change > 40, (i, change)
    assert np.abs(_box_edge(out, 9) - _box_edge(src, 9)).mean() < 10


def test_draw_only_on_sampled_frames(source, tmp_path):
    out_path = write_annotated_video(source, _result(source), str(tmp_path / "a.mp4"),
                                     hold=False, threads=1)
    src, out = _decode_all(source), _decode_all(out_path)
    assert np.abs(_box_edge(out, 10) - _box_edge(src, 10)).mean() > 40
    for i in (9, 11, 15, 21):
        assert psnr(out[i], src[i]) > 30, i


def test_video_without_detections_is_copied(source, tmp_path):
    out_path = write_annotated_video(source, _result(source, empty=True),
                                     str(tmp_path / "e.mp4"), threads=1)
    src, out = _decode_all(source), _decode_all(out_path)
    assert len(out) == N and min(psnr(a, b) for a, b in zip(out, src)) > 30


def test_failure_leaves_no_file(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    out_dir = tmp_path / "out"
    with pytest.raises(VideoDecodeError, match="broken.mp4"):
        write_annotated_video(str(broken), _result(str(broken)), str(out_dir / "x.mp4"))
    assert not out_dir.exists() or os.listdir(out_dir) == []   # nothing left behind


def test_scale_graph_maps_boxes_to_the_frame_size():
    graph = rich_graph(image_size=(48, 32))
    scaled = scale_graph(graph, 96, 64)
    np.testing.assert_allclose(scaled.boxes, graph.boxes * 2)
    assert scaled.image_size == (96, 64)
    assert scale_graph(scaled, 96, 64) is scaled
