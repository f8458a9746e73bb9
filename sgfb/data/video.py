"""Video decoding with torchcodec (default), PyAV (fallback) and decord, with frame-exact indexing.

Frame numbering: index ``i`` (0-based) is the ``i``-th frame the decoder *displays*, in
presentation order, at the video's native rate. It is exactly the frame that
``ffmpeg -i VIDEO.mp4 %06d.png`` writes as number ``i + 1`` for constant-frame-rate video,
so Action Genome frame ``NNNNNN.png`` is index ``NNNNNN - 1``. (ffmpeg's image output is
constant-rate: where presentation timestamps leave gaps, e.g. variable-rate recordings or a
video track starting after the audio, ffmpeg repeats or skips frames and its numbers drift
from the decoded index; :func:`sgfb.data.ffmpeg_numbering.ffmpeg_image_frames` maps its
numbers to decoded frames by timestamp. Frame times come from the presentation timestamps:
:meth:`VideoReader.timestamps`.)

Every reader first indexes the file with PyAV's demuxer (packets only, no decoding: a few
milliseconds for a 30 s clip; :mod:`sgfb.data.video_index`). The index is the ground truth
for ``num_frames``, the timestamps and the keyframe positions, whatever the backend; a
truncated or corrupt file is refused there with :class:`VideoDecodeError` naming the file and
the damage (``allow_truncated=True`` reads its intact prefix instead). Decoder errors are
described in words (:mod:`sgfb.data.video_errors`), never as raw FFmpeg error numbers.

- decord trusts the container's nominal frame count. For mp4 files with an edit list (e.g.
  made by ``ffmpeg -ss T -c copy``) it counts the pre-roll samples the edit list hides, so
  ``len(VideoReader)`` is too large and its random access returns wrong frames; for files
  whose header over-reports frames it can hang past the real end (dmlc/decord#373). The
  decord backend therefore refuses files whose frame count disagrees with the index, and
  ``backend="auto"`` then falls back to PyAV.
- decord's seeking also returns the wrong frames (off by the number of leading B-frames)
  when keyframes other than the first have leading pictures, e.g. MPEG-4 part 2 with
  B-frames; the decord backend refuses those files too (checked from the index).
- Of a truncated file read with ``allow_truncated=True``, cut-off packets are never sent to
  the decoder; a listed frame that the decoder does not produce raises
  :class:`VideoDecodeError`, so a frame is never returned for an index it is not.

Pixel layout everywhere: ``uint8 [N, H, W, 3]`` RGB (one frame: ``[H, W, 3]``).
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

import av
import cv2
import numpy as np

from sgfb.data.video_errors import VideoDecodeError, describe_decoder_error
from sgfb.data.video_index import FrameIndex, PathLike, index_video

__all__ = ["BACKENDS", "FrameIndex", "VideoDecodeError", "VideoReader", "index_video",
           "open_video"]

Size = Tuple[int, int]  # (width, height)

BACKENDS = ("auto", "torchcodec", "pyav", "decord")
AUTO_ORDER = ("torchcodec", "pyav")  # what backend="auto" tries, in turn


def _displayed(frame: Any, rotation: int) -> np.ndarray:
    """RGB ``[H, W, 3]`` of an ``av.VideoFrame`` as displayed: turned ``rotation`` degrees
    counterclockwise (see :class:`FrameIndex`)."""
    rgb = frame.to_ndarray(format="rgb24")
    if rotation:
        rgb = np.ascontiguousarray(np.rot90(rgb, rotation // 90))
    return rgb


def _resize(frame: np.ndarray, size: Optional[Size]) -> np.ndarray:
    """Resize ``[H, W, 3]`` to ``size=(W, H)``: area averaging to shrink, bilinear to enlarge."""
    if size is None or (frame.shape[1], frame.shape[0]) == tuple(size):
        return frame
    width, height = int(size[0]), int(size[1])
    shrink = width * height < frame.shape[0] * frame.shape[1]
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=interpolation)


class VideoReader(ABC):
    """Random and streamed access to the frames of one video (use :func:`open_video`).

    Frames are ``uint8`` RGB, ``[H, W, 3]`` each, ``[N, H, W, 3]`` stacked; ``size=(W, H)``
    resizes them. Indices are 0-based display indices (see the module docstring).
    """

    backend: str = ""

    def __init__(self, path: str, index: FrameIndex) -> None:
        self._path = path
        self._index = index

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

    def get_frames(self, indices: Sequence[int], size: Optional[Size] = None) -> np.ndarray:
        """Frames at ``indices`` (any order, repeats allowed): uint8 ``[N, H, W, 3]`` RGB."""
        array = self._check_indices(indices)
        if array.size == 0:
            width, height = size if size is not None else (self.width, self.height)
            return np.zeros((0, height, width, 3), dtype=np.uint8)
        wanted = np.unique(array)
        frames: Dict[int, np.ndarray] = dict(self._read_sorted(wanted, size))
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
    def _read_sorted(self, wanted: np.ndarray,
                     size: Optional[Size]) -> Iterator[Tuple[int, np.ndarray]]:
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


def _decode_complete_packets(container: Any, stream: Any) -> Iterator[Any]:
    """Decoded ``av.VideoFrame`` s in display order; stops (flushing the decoder) at the
    first cut-off packet instead of decoding it into garbage."""
    for packet in container.demux(stream):
        if packet.is_corrupt:
            yield from stream.codec_context.decode(None)
            return
        yield from packet.decode()  # the final empty packet flushes the decoder


class PyAVVideoReader(VideoReader):
    """PyAV (libav*) decoding: sequential, threaded, seeking to a keyframe only when a
    wanted frame lies beyond the next keyframe, so decoding never repeats work."""

    backend = "pyav"

    def __init__(self, path: str, index: FrameIndex, threads: bool = True) -> None:
        super().__init__(path, index)
        self._threads = threads
        self._container: Optional[Any] = None
        self._frames: Optional[Iterator[Any]] = None
        self._next = 0  # display index of the next frame the decoder will output
        self._ordinal = 0  # frames output since the last restart (used when pts is None)
        if index.pts is not None:
            self._pts_to_index = {int(t): i for i, t in enumerate(index.pts)}

    def _open(self, keyframe: int) -> None:
        """Position the decoder so that its next output is display index ``keyframe``."""
        try:
            if self._container is None or keyframe == 0:
                self.close()
                self._container = av.open(self._path)
                stream = self._container.streams.video[0]
                if self._threads:
                    stream.thread_type = "AUTO"
            stream = self._container.streams.video[0]
            if keyframe > 0:  # also on the first read: never decode from the start needlessly
                self._container.seek(int(self._index.pts[keyframe]), stream=stream,
                                     backward=True, any_frame=False)
        except av.error.FFmpegError as err:
            raise VideoDecodeError(f"{self._path}: cannot open/seek video: "
                                   f"{describe_decoder_error(err)}") from err
        self._frames = _decode_complete_packets(self._container, stream)
        self._next = keyframe
        self._ordinal = 0

    def _next_frame(self) -> Tuple[int, Any]:
        """Decode the next displayed frame; returns ``(display index, av.VideoFrame)``."""
        assert self._frames is not None
        while True:
            try:
                frame = next(self._frames)
            except StopIteration:
                raise VideoDecodeError(
                    f"{self._path}: the stream ended at frame {self._next} although the "
                    f"container lists {self.num_frames} frames (truncated file?)") from None
            except av.error.FFmpegError as err:
                raise VideoDecodeError(
                    f"{self._path}: decoding failed near frame {self._next} of "
                    f"{self.num_frames}: {describe_decoder_error(err)}") from err
            if self._index.pts is None:
                position = self._ordinal
                self._ordinal += 1
            else:
                found = self._pts_to_index.get(frame.pts) if frame.pts is not None else None
                if found is None:
                    continue  # not a displayed frame of the index (e.g. undecodable lead-in)
                position = found
            self._next = position + 1
            return position, frame

    def _read_sorted(self, wanted: np.ndarray,
                     size: Optional[Size]) -> Iterator[Tuple[int, np.ndarray]]:
        keyframes = self._index.keyframes
        seekable = self._index.pts is not None
        for target in (int(i) for i in wanted):
            keyframe = int(keyframes[np.searchsorted(keyframes, target, side="right") - 1])
            if not seekable:
                keyframe = 0
            sought = self._frames is None or target < self._next or keyframe > self._next
            if sought:
                self._open(keyframe)
            position, frame = self._next_frame()
            if sought and position > target and keyframe > 0:
                # The seek landed past the target: decode from the very start instead.
                self._open(0)
                position, frame = self._next_frame()
            while position < target:
                position, frame = self._next_frame()
            if position != target:
                raise VideoDecodeError(
                    f"{self._path}: the decoder skipped frame {target} (next frame was "
                    f"{position}); the file is damaged")
            yield target, _resize(_displayed(frame, self._index.rotation), size)

    def close(self) -> None:
        self._frames = None
        if self._container is not None:
            self._container.close()
            self._container = None


class DecordVideoReader(VideoReader):
    """decord decoding (batched random access); refuses files where decord's frame count
    disagrees with the demuxer index (see the module docstring)."""

    backend = "decord"

    def __init__(self, path: str, index: FrameIndex) -> None:
        super().__init__(path, index)
        import decord  # ImportError is handled by open_video

        if index.leading_pictures:
            raise VideoDecodeError(
                f"{path}: keyframes with leading B-frames; decord's random access "
                f"returns wrong frames for such files, use backend='pyav'")
        try:
            self._reader = decord.VideoReader(path, ctx=decord.cpu(0))
        except Exception as err:  # decord raises its own DECORDError / RuntimeError
            raise VideoDecodeError(f"{path}: decord cannot open the video: "
                                   f"{describe_decoder_error(err)}") from err
        if len(self._reader) != index.num_frames:
            count = len(self._reader)
            self.close()
            raise VideoDecodeError(
                f"{path}: decord counts {count} frames but the container holds "
                f"{index.num_frames} displayable frames (edit list or wrong header); "
                f"decord's indices would be wrong, use backend='pyav'")

    def _batch(self, indices: np.ndarray, size: Optional[Size]) -> np.ndarray:
        try:
            frames = self._reader.get_batch([int(i) for i in indices]).asnumpy()
        except Exception as err:
            raise VideoDecodeError(
                f"{self._path}: decord failed to decode frames "
                f"{int(indices.min())}..{int(indices.max())}: "
                f"{describe_decoder_error(err)}") from err
        if frames.shape[1:3] != (self.height, self.width):
            raise VideoDecodeError(
                f"{self._path}: decord returned {frames.shape[2]}x{frames.shape[1]} frames, "
                f"the displayed size is {self.width}x{self.height} (rotation "
                f"{self._index.rotation}); use backend='pyav'")
        if size is None:
            return frames
        return np.stack([_resize(frame, size) for frame in frames])

    def get_frames(self, indices: Sequence[int], size: Optional[Size] = None) -> np.ndarray:
        array = self._check_indices(indices)
        if array.size == 0:
            return super().get_frames(array, size)
        return self._batch(array, size)

    def _read_sorted(self, wanted: np.ndarray, size: Optional[Size],
                     chunk: int = 8) -> Iterator[Tuple[int, np.ndarray]]:
        for begin in range(0, len(wanted), chunk):
            part = wanted[begin:begin + chunk]
            yield from zip((int(i) for i in part), self._batch(part, size))

    def close(self) -> None:
        self._reader = None


def _make_reader(backend: str, path: str, index: FrameIndex) -> VideoReader:
    if backend == "pyav":
        return PyAVVideoReader(path, index)
    if backend == "decord":
        return DecordVideoReader(path, index)
    from sgfb.data.video_torchcodec import TorchCodecVideoReader
    return TorchCodecVideoReader(path, index)


def open_video(path: PathLike, backend: str = "auto",
               allow_truncated: bool = False) -> VideoReader:
    """Open ``path`` for decoding.

    backend: ``"torchcodec"``, ``"pyav"``, ``"decord"`` or ``"auto"``: the backends of
    :data:`AUTO_ORDER` in turn (the fastest exact one first, see ``docs/benchmarks.md``),
    falling back when one is not installed or refuses the file (e.g. it would count its
    frames differently). decord is used only when named: it is unmaintained since 2021.
    Raises :class:`VideoDecodeError` naming the file when it cannot be decoded, or is
    truncated or corrupt; ``allow_truncated=True`` reads the intact prefix of such a file.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown video backend {backend!r}; choose one of {BACKENDS}")
    path = os.fspath(path)
    index = index_video(path, allow_truncated=allow_truncated)
    if backend != "auto":
        try:
            return _make_reader(backend, path, index)
        except ImportError as err:
            raise ImportError(f"backend={backend!r} requested but it is unavailable: {err}")
    for candidate in AUTO_ORDER[:-1]:
        try:
            return _make_reader(candidate, path, index)
        except (ImportError, OSError, VideoDecodeError):
            continue
    return _make_reader(AUTO_ORDER[-1], path, index)
