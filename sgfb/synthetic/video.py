"""MP4 writing with PyAV: H.264 (libx264) when this PyAV build has it, MPEG-4 Part 2 otherwise.

Frames go in as RGB ``[H, W, 3]`` uint8 and are stored as yuv420p, one per 1/rate seconds,
so a video of N frames decodes to exactly N frames. The encoder runs single-threaded (the
generator parallelises over videos) and with settings that make the same frames give the
same file.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Optional

import av
import cv2
import numpy as np

from sgfb.utils.provenance import SYNTHETIC_VIDEO_TAG

#: libx264 settings: visually clean at small sizes, fast, deterministic. x264's macroblock-tree
#: lookahead reads uninitialised memory on small frames (96x72, 160x120: the same frames then
#: encode differently from run to run); without it the output depends on the frames only.
X264_OPTIONS = {"crf": "20", "preset": "veryfast", "x264-params": "mbtree=0"}
#: A keyframe every second, as phone and webcam recordings have (x264's default, 250 frames,
#: made a 10 s video one group of pictures: every clip read decoded from its first frame).
KEYFRAME_SECONDS = 1.0


def video_codec() -> str:
    """``libx264`` if PyAV can encode H.264, else ``mpeg4``."""
    return "libx264" if "libx264" in av.codec.codecs_available else "mpeg4"


class VideoWriter:
    """Writes RGB frames to ``path`` at ``rate`` frames per second (exact fraction)."""

    def __init__(self, path: str, width: int, height: int, rate: Fraction,
                 codec: Optional[str] = None) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"{path}: yuv420p needs an even frame size, got {width}x{height}")
        self.path = path
        self.codec = codec or video_codec()
        self._container = av.open(path, mode="w")
        self._container.metadata["comment"] = SYNTHETIC_VIDEO_TAG
        stream = self._container.add_stream(self.codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count = 1
        if self.codec == "libx264":
            stream.codec_context.options = dict(X264_OPTIONS)
            stream.codec_context.gop_size = max(1, round(float(rate) * KEYFRAME_SECONDS))
        else:
            stream.bit_rate = max(800_000, int(width * height * float(rate) * 0.6))
        self._stream = stream
        self._time_base = Fraction(1) / rate
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one RGB ``[H, W, 3]`` uint8 frame."""
        # OpenCV's BT.601 conversion matches what decoders assume and is faster than swscale.
        yuv = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2YUV_I420)
        video_frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        video_frame.pts = self.frames
        video_frame.time_base = self._time_base
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def count_decoded_frames(path: str) -> int:
    """Number of frames PyAV decodes from ``path``."""
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0))
