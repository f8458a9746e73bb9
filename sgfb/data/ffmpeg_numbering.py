"""Which decoded frame ``ffmpeg -i VIDEO %06d.png`` writes as each image (AG frame numbers).

Action Genome's frames were extracted with ``ffmpeg -i VIDEO.mp4 %06d.png``. The image
muxer is constant-rate: FFmpeg (5.x, ``-vsync cfr``, the default for image output) places
frame ``i`` at output slot ``s_i = t_i * R`` (``t_i``: its presentation time from the start
of the container, ``R``: FFmpeg's guessed rate of the stream), and for each frame, with
``next`` the next free slot and ``d0 = s_i - next``:

- ``-1 < d0 < 0``: the frame takes the next slot (clipped);
- ``d0 + 1 < -1.1``: the frame is dropped;
- ``d0 + 1 > 1.1``: ``round(d0 + 1)`` slots are written: the first ``round(d0 - 0.6)`` repeat
  the previous frame (the first frame of a video fills them itself), the rest are frame ``i``;
- otherwise one slot, frame ``i``;

and at the end of the stream the last frame is repeated the median of the last three repeat
counts. On a constant-rate file this is the identity (image ``n`` is frame ``n - 1``); on a
variable-rate file with timestamp gaps, or a video track that starts after the audio, images
repeat or skip frames. :func:`ffmpeg_image_frames` replays that rule on the packet index, so
AG frame ``NNNNNN.png`` is decoded frame ``ffmpeg_image_frames(index)[NNNNNN - 1]`` on every
file (checked against ffmpeg in the tests). Rounding is FFmpeg's ``lrintf``: half to even.
"""
from __future__ import annotations

from typing import List

import numpy as np

from sgfb.data.video_index import FrameIndex


def _slots(index: FrameIndex) -> np.ndarray:
    """float64 ``[N]``: each frame's output slot ``t_i * R``."""
    rate = float(index.output_rate or index.fps)
    if index.pts is None:
        return np.arange(index.num_frames, dtype=np.float64) * rate / float(index.fps)
    tb = float(index.time_base)
    seconds = (index.pts - index.pts[0]).astype(np.float64) * tb + index.start_offset
    return seconds * rate


def ffmpeg_image_frames(index: FrameIndex) -> np.ndarray:
    """int64 ``[M]``: the decoded frame (0-based display index) of each image that
    ``ffmpeg -i VIDEO %06d.png`` writes; image ``NNNNNN.png`` is entry ``NNNNNN - 1``."""
    out: List[int] = []
    next_slot = 0
    previous = -1
    repeats = [0, 0, 0]  # the last three counts of repeated previous frames
    for frame, slot in enumerate(_slots(index)):
        delta0 = slot - next_slot
        duration = 1.0
        if delta0 < 0 < delta0 + duration:
            duration += delta0
            delta0 = 0.0
        delta = delta0 + duration
        count, repeat = 1, 0
        if delta < -1.1:
            count = 0
        elif delta > 1.1:
            count = int(round(delta))
            if delta0 > 1.1:
                repeat = int(round(delta0 - 0.6))
        repeat = min(repeat, count)
        out += [previous if k < repeat and previous >= 0 else frame for k in range(count)]
        next_slot += count
        repeats = [repeat] + repeats[:2]
        previous = frame
    if previous >= 0:
        out += [previous] * sorted(repeats)[1]
    return np.asarray(out, dtype=np.int64)
