"""The reader interface every decoding backend implements (:mod:`sgfb.data.video` opens
them), with the frame conversions they share: rotation as displayed, resizing."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

import cv2
import numpy as np

from sgfb.data.video_errors import VideoDecodeError
from sgfb.data.video_index import FrameIndex

Size = Tuple[int, int]  # (width, height)



def _displayed(frame: Any, rotation: int) -> np.ndarray:
    """RGB ``[H, W, 3]`` of an ``av.VideoFrame`` as displayed: turned ``rotation`` degrees
    counterclockwise (see :class:`FrameIndex`)."""
    rgb = frame.to_ndarray(format="rgb24")
    if rotation:
        rgb = np.ascontiguousarray(np.rot90(rgb, rotation // 90))
    return rgb


#: How :meth:`VideoReader.get_frames` resizes: ``"area"`` averages to shrink (bilinear to
#: enlarge), for images that are looked at or detected on; ``"bilinear"`` always samples
#: bilinearly with half-pixel centres and no antialiasing, as PySlowFast's training resize
#: (``torch.nn.functional.interpolate(..., "bilinear", align_corners=False)``; OpenCV's
#: fixed-point version, within 1 grey level of it).
INTERPOLATIONS = ("area", "bilinear")


def _resize(frame: np.ndarray, size: Optional[Size], interpolation: str = "area") -> np.ndarray:
    """Resize ``[H, W, 3]`` to ``size=(W, H)`` (see :data:`INTERPOLATIONS`)."""
    if size is None or (frame.shape[1], frame.shape[0]) == tuple(size):
        return frame
    width, height = int(size[0]), int(size[1])
    shrink = width * height < frame.shape[0] * frame.shape[1]
    flag = cv2.INTER_AREA if shrink and interpolation == "area" else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=flag)


def _check_interpolation(interpolation: str) -> None:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")


class VideoReader(ABC):
    """Random and streamed access to the frames of one video (use :func:`open_video`).

    Frames are ``uint8`` RGB, ``[H, W, 3]`` each, ``[N, H, W, 3]`` stacked; ``size=(W, H)``
    resizes them. Indices are 0-based display indices (see the module docstring).
    """

    backend: str = ""

    def __init__(self, path: str, index: FrameIndex, data: Optional[bytes] = None) -> None:
        self._path = path
        self._index = index
        self._data = data  # the file's bytes when already read (see open_video)

    @property
    def path(self) -> str:
        return self._path

    @property
    def num_frames(self) -> int:
        return self._index.num_frames

    @property
    def fps(self) -> float:
        """Native frame rate, e.g. ``30000/1001 = 29.97002997...``."""
        return float(self._index.fps)

    @property
    def width(self) -> int:
        return self._index.width

    @property
    def height(self) -> int:
        return self._index.height

    @property
    def duration(self) -> float:
        """Seconds covered by the frames: ``num_frames / fps``."""
        return self.num_frames / self.fps

    @property
    def index(self) -> FrameIndex:
        return self._index

    def timestamps(self) -> np.ndarray:
        """float64 ``[N]``: seconds at which each frame is shown, frame 0 at 0.0.

        Taken from the container's presentation timestamps relative to the first frame;
        for constant-frame-rate video this equals ``i / fps``. Without usable container
        timestamps it is ``i / fps``.
        """
        pts = self._index.pts
        if pts is None:
            return np.arange(self.num_frames, dtype=np.float64) / self.fps
        tb = self._index.time_base
        return (pts - pts[0]).astype(np.float64) * (tb.numerator / tb.denominator)

    def _check_indices(self, indices: Sequence[int]) -> np.ndarray:
        array = np.asarray(indices, dtype=np.int64).reshape(-1)
        bad = array[(array < 0) | (array >= self.num_frames)]
        if bad.size:
            raise IndexError(
                f"{self._path}: frame index {int(bad[0])} out of range "
                f"(the video has {self.num_frames} frames, indices 0..{self.num_frames - 1})")
        return array

    def get_frames(self, indices: Sequence[int], size: Optional[Size] = None,
                   interpolation: str = "area") -> np.ndarray:
        """Frames at ``indices`` (any order, repeats allowed): uint8 ``[N, H, W, 3]`` RGB;
        ``size=(W, H)``: each frame resized as it is decoded (:data:`INTERPOLATIONS`), so the
        full-size frames are never held together."""
        array = self._check_indices(indices)
        _check_interpolation(interpolation)
        if array.size == 0:
            width, height = size if size is not None else (self.width, self.height)
            return np.zeros((0, height, width, 3), dtype=np.uint8)
        wanted = np.unique(array)
        frames: Dict[int, np.ndarray] = dict(self._read_sorted(wanted, size, interpolation))
        return np.stack([frames[int(i)] for i in array])

    def clip(self, start: int, num_frames: int, stride: int = 1,
             size: Optional[Size] = None) -> np.ndarray:
        """Frames ``start, start + stride, ...`` (``num_frames`` of them): ``[T, H, W, 3]``.

        Indices past the end are clamped to the last frame (as PySlowFast does).
        """
        if start < 0 or start >= self.num_frames:
            raise IndexError(f"{self._path}: clip start {start} out of range "
                             f"(the video has {self.num_frames} frames)")
        if num_frames < 0 or stride < 1:
            raise ValueError(f"clip needs num_frames >= 0 and stride >= 1, "
                             f"got {num_frames} and {stride}")
        indices = np.minimum(start + stride * np.arange(num_frames), self.num_frames - 1)
        return self.get_frames(indices, size)

    def iter_frames(self, indices: Sequence[int],
                    size: Optional[Size] = None) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(index, frame [H, W, 3] RGB)`` for the distinct ``indices`` in increasing
        order, decoding as it goes: only a few frames are held in memory at a time."""
        wanted = np.unique(self._check_indices(indices))
        if wanted.size:
            yield from self._read_sorted(wanted, size)

    @abstractmethod
    def _read_sorted(self, wanted: np.ndarray, size: Optional[Size],
                     interpolation: str = "area") -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(index, frame)`` for sorted, distinct, valid ``wanted`` indices."""

    @abstractmethod
    def close(self) -> None:
        """Release the decoder and the file."""

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(path={self._path!r}, num_frames={self.num_frames}, "
                f"fps={self.fps:.5f}, size={self.width}x{self.height})")


class BatchVideoReader(VideoReader):
    """A backend that decodes any set of frames in one call (decord, torchcodec):
    subclasses give ``_decode_batch(indices) -> uint8 [N, H, W, 3]`` as displayed and may
    say in ``_size_hint()`` what to try when its frames have another size than the index's."""

    def _size_hint(self) -> str:
        return ""

    @abstractmethod
    def _decode_batch(self, indices: np.ndarray) -> np.ndarray:
        """Frames ``indices`` (sorted or not) as displayed; errors name the file."""

    def _batch(self, indices: np.ndarray, size: Optional[Size],
               interpolation: str = "area") -> np.ndarray:
        frames = self._decode_batch(indices)
        if frames.shape[1:3] != (self.height, self.width):
            raise VideoDecodeError(
                f"{self._path}: {self.backend} returned {frames.shape[2]}x{frames.shape[1]} "
                f"frames, the displayed size is {self.width}x{self.height}{self._size_hint()}")
        if size is None:
            return frames
        return np.stack([_resize(frame, size, interpolation) for frame in frames])

    def get_frames(self, indices: Sequence[int], size: Optional[Size] = None,
                   interpolation: str = "area") -> np.ndarray:
        array = self._check_indices(indices)
        if array.size == 0:
            return super().get_frames(array, size, interpolation)
        _check_interpolation(interpolation)
        return self._batch(array, size, interpolation)

    def _read_sorted(self, wanted: np.ndarray, size: Optional[Size],
                     interpolation: str = "area",
                     chunk: int = 8) -> Iterator[Tuple[int, np.ndarray]]:
        for begin in range(0, len(wanted), chunk):
            part = wanted[begin:begin + chunk]
            yield from zip((int(i) for i in part), self._batch(part, size, interpolation))
