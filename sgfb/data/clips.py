"""Clip sampling on Charades (Action Genome paper §5.1: the LFB / PySlowFast protocol).

Pure index arithmetic on 0-based display indices at the video's native rate (index ``i`` is
frame ``NNNNNN = i + 1`` of DESIGN.md and is shown at ``i / fps`` seconds).

A clip is ``num_frames`` frames (default 32) taken every ``stride`` native frames (default 4),
so it spans ``(num_frames - 1) * stride + 1`` native frames:

- training (:func:`random_clip`): one clip per video and epoch with a start drawn uniformly
  from ``0 .. L - span`` (both ends included) for a video of ``L`` frames;
- testing (:func:`test_clips`): ``num_temporal_views`` clips (default 10) whose starts are
  evenly spaced from the first possible start ``0`` to the last ``L - span``, i.e. their
  centres are spaced uniformly over the video; the scores of a video's views are then
  max-pooled (:mod:`sgfb.evaluation.views`).

Videos shorter than the span: the clip starts at frame 0 and every index past the end is
clamped to the last frame (the last frame repeats), so the clip covers the whole video. This
is what ``VideoReader.clip`` does. (PySlowFast instead draws a random negative start when
training and clamps at both ends; we keep the whole short video, which keeps every frame
and makes training and testing views of short videos identical.)

Labels (:func:`clip_labels`): the classes whose annotated interval overlaps the clip's time
span ``[t0, t1]``, ends included (an action ending exactly when the clip starts counts), the
inclusive convention of DESIGN.md "Contracts".
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from sgfb.data.charades import Charades


def _check(num_video_frames: int, num_frames: int, stride: int) -> None:
    if num_video_frames < 1:
        raise ValueError(f"a clip needs a video with at least one frame, got {num_video_frames}")
    if num_frames < 1 or stride < 1:
        raise ValueError(f"num_frames and stride must be at least 1, got {num_frames} and "
                         f"{stride}")


def clip_span(num_frames: int, stride: int) -> int:
    """Native frames covered by a clip: ``(num_frames - 1) * stride + 1``."""
    return (num_frames - 1) * stride + 1


def clip_indices(start: int, num_video_frames: int, num_frames: int, stride: int) -> np.ndarray:
    """int64 ``[num_frames]``: ``start, start + stride, ...``, clamped to the last frame."""
    _check(num_video_frames, num_frames, stride)
    return np.minimum(start + stride * np.arange(num_frames, dtype=np.int64),
                      num_video_frames - 1)


def random_clip(num_video_frames: int, num_frames: int = 32, stride: int = 4,
                rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """int64 ``[num_frames]`` frame indices of one training clip with a uniformly random
    start in ``0 .. num_video_frames - span`` (start 0, last frame repeated, when the video
    is shorter than the span)."""
    _check(num_video_frames, num_frames, stride)
    rng = np.random.default_rng() if rng is None else rng
    last_start = max(num_video_frames - clip_span(num_frames, stride), 0)
    start = int(rng.integers(0, last_start + 1))
    return clip_indices(start, num_video_frames, num_frames, stride)


def test_starts(num_video_frames: int, num_frames: int = 32, stride: int = 4,
                num_temporal_views: int = 10) -> np.ndarray:
    """int64 ``[views]`` starts of the test views: ``round(v * (L - span) / (views - 1))``
    (rounding half up), from 0 to ``L - span``; 0 when the video is shorter than the span.
    A single view is centred: start ``(L - span) // 2``."""
    _check(num_video_frames, num_frames, stride)
    if num_temporal_views < 1:
        raise ValueError(f"num_temporal_views must be at least 1, got {num_temporal_views}")
    last_start = max(num_video_frames - clip_span(num_frames, stride), 0)
    if num_temporal_views == 1:
        return np.array([last_start // 2], dtype=np.int64)
    gap = last_start / (num_temporal_views - 1)
    return np.floor(gap * np.arange(num_temporal_views) + 0.5).astype(np.int64)


test_starts.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def test_clips(num_video_frames: int, num_frames: int = 32, stride: int = 4,
               num_temporal_views: int = 10) -> np.ndarray:
    """int64 ``[views, num_frames]`` frame indices of the test views (see :func:`test_starts`);
    view ``v``'s centre lies at ``start_v + (span - 1) / 2`` (before clamping)."""
    starts = test_starts(num_video_frames, num_frames, stride, num_temporal_views)
    return np.stack([clip_indices(int(s), num_video_frames, num_frames, stride) for s in starts])


test_clips.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def clip_span_seconds(indices: Sequence[int], fps: float) -> Tuple[float, float]:
    """``(t0, t1)``: seconds at which the first and the last frame of the clip are shown
    (``index / fps``; frame ``i`` = ``NNNNNN - 1``)."""
    array = np.asarray(indices, dtype=np.int64).reshape(-1)
    if array.size == 0:
        raise ValueError("an empty clip has no time span")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return float(array.min()) / fps, float(array.max()) / fps


def clip_center_seconds(indices: Sequence[int], fps: float) -> float:
    """Centre of the clip's time span, ``(t0 + t1) / 2`` seconds (where its bank window is
    centred)."""
    t0, t1 = clip_span_seconds(indices, fps)
    return (t0 + t1) / 2


def clip_labels(charades: Charades, video_id: str, t0: float, t1: float,
                num_classes: Optional[int] = None) -> np.ndarray:
    """float32 ``[num_classes]`` multi-hot of the actions overlapping ``[t0, t1]`` seconds,
    ends included (``start <= t1 and t0 <= end``). ``num_classes`` defaults to
    ``charades.num_classes``; a label beyond it raises ValueError naming the video."""
    if t1 < t0:
        raise ValueError(f"{video_id}: clip span ends ({t1}) before it starts ({t0})")
    num_classes = charades.num_classes if num_classes is None else int(num_classes)
    labels = sorted(charades.labels_over(video_id, t0, t1))
    if labels and labels[-1] >= num_classes:
        raise ValueError(f"{video_id}: action class c{labels[-1]:03d} is beyond the "
                         f"{num_classes} classes")
    out = np.zeros(num_classes, np.float32)
    out[labels] = 1.0
    return out
