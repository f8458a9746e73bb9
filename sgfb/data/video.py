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

import io
import os
from typing import Any, Callable, Dict, Iterator, Optional, Set, Tuple

import av
import numpy as np

from sgfb.data.names import BACKENDS
from sgfb.data.video_errors import VideoDecodeError, describe_decoder_error
from sgfb.data.video_index import FrameIndex, PathLike, index_video
from sgfb.data.video_reader import BatchVideoReader, Size, VideoReader, _displayed, _resize

__all__ = ["BACKENDS", "FrameIndex", "VideoDecodeError", "VideoReader", "index_video",
           "open_video"]

AUTO_ORDER = ("torchcodec", "pyav")  # what backend="auto" tries, in turn


def _decode_complete_packets(container: Any, stream: Any,
                              skip: Optional[Callable[[Any], bool]] = None) -> Iterator[Any]:
    """Decoded ``av.VideoFrame`` s in display order; stops (flushing the decoder) at the
    first cut-off packet instead of decoding it into garbage.

    ``skip(packet)`` True: the decoder may drop the packet's frame if no other frame refers
    to it (FFmpeg's ``skip_frame = NONREF``: H.264/HEVC non-reference pictures, MPEG-4 and
    MPEG-2 B-frames). Dropping such a frame changes no other frame, so frames that are not
    wanted cost no decoding when the codec allows it.
    """
    context = stream.codec_context
    skipping = False
    for packet in container.demux(stream):
        if packet.is_corrupt:
            yield from context.decode(None)
            return
        if skip is not None and packet.size:
            wanted_off = bool(skip(packet))
            if wanted_off != skipping:
                context.skip_frame = "NONREF" if wanted_off else "DEFAULT"
                skipping = wanted_off
        yield from packet.decode()  # the final empty packet flushes the decoder
    if skipping:
        context.skip_frame = "DEFAULT"


class PyAVVideoReader(VideoReader):
    """PyAV (libav*) decoding: sequential, seeking to a keyframe only when a wanted frame
    lies beyond the next keyframe (also on the first read), so decoding never repeats work.

    The reader stays open between reads (a data loader keeps it for many clips): a read
    that starts behind the decoder seeks back instead of re-opening the file. Frames that
    are not wanted are skipped without decoding when no other frame refers to them
    (``skip_nonref``; see :func:`_decode_complete_packets`), and only the wanted frames are
    converted to RGB. ``threads``: FFmpeg's frame/slice threads (faster per video, but more
    CPU per frame; a data loader's worker processes already use every core).
    """

    backend = "pyav"

    def __init__(self, path: str, index: FrameIndex, threads: bool = True,
                 skip_nonref: bool = True, data: Optional[bytes] = None) -> None:
        super().__init__(path, index, data)
        self._threads = threads
        self._skip_nonref = skip_nonref and index.pts is not None
        self._container: Optional[Any] = None
        self._frames: Optional[Iterator[Any]] = None
        self._next = 0  # display index of the next frame the decoder will output
        self._ordinal = 0  # frames output since the last restart (used when pts is None)
        self._wanted_pts: Set[int] = set()  # the current read's frames (never skipped)
        self._last_wanted_pts = -1  # frames shown after it may be wanted by the next read
        self._skipped_pts: Set[int] = set()  # packets handed over as skippable since the seek
        if index.pts is not None:
            self._pts_to_index = {int(t): i for i, t in enumerate(index.pts)}

    def _skippable(self, packet: Any) -> bool:
        """Only frames shown before the read's last wanted frame are skipped: the decoder
        runs a few packets ahead, and the next read may continue where this one ends."""
        if packet.pts is None:
            return False
        pts = int(packet.pts)
        if pts >= self._last_wanted_pts or pts in self._wanted_pts:
            return False
        self._skipped_pts.add(pts)
        return True

    def _open(self, keyframe: int) -> None:
        """Position the decoder so that its next output is display index ``keyframe``."""
        seekable = self._index.pts is not None
        try:
            if self._container is None or (keyframe == 0 and not seekable):
                self.close()
                self._container = av.open(
                    io.BytesIO(self._data) if self._data is not None else self._path)
                stream = self._container.streams.video[0]
                if self._threads:
                    stream.thread_type = "AUTO"
                else:
                    stream.codec_context.thread_count = 1
                fresh = True
            else:
                fresh = False
            stream = self._container.streams.video[0]
            if seekable and (keyframe > 0 or not fresh):
                # also on the first read: never decode from the start needlessly
                self._container.seek(int(self._index.pts[keyframe]), stream=stream,
                                     backward=True, any_frame=False)
        except av.error.FFmpegError as err:
            raise VideoDecodeError(f"{self._path}: cannot open/seek video: "
                                   f"{describe_decoder_error(err)}") from err
        self._skipped_pts = set()
        self._frames = _decode_complete_packets(
            self._container, stream, self._skippable if self._skip_nonref else None)
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

    def _read_sorted(self, wanted: np.ndarray, size: Optional[Size],
                     interpolation: str = "area") -> Iterator[Tuple[int, np.ndarray]]:
        keyframes = self._index.keyframes
        seekable = self._index.pts is not None
        if self._skip_nonref:
            self._wanted_pts = {int(self._index.pts[i]) for i in wanted}
            self._last_wanted_pts = max(self._wanted_pts)
        for target in (int(i) for i in wanted):
            keyframe = int(keyframes[np.searchsorted(keyframes, target, side="right") - 1])
            if not seekable:
                keyframe = 0
            sought = (self._frames is None or target < self._next or keyframe > self._next
                      or (self._skip_nonref and int(self._index.pts[target]) in
                          self._skipped_pts))  # an earlier read let the decoder drop it
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
            yield target, _resize(_displayed(frame, self._index.rotation), size, interpolation)

    def close(self) -> None:
        self._frames = None
        if self._container is not None:
            self._container.close()
            self._container = None


class DecordVideoReader(BatchVideoReader):
    """decord decoding (batched random access); refuses files where decord's frame count
    disagrees with the demuxer index (see the module docstring)."""

    backend = "decord"

    def _size_hint(self) -> str:
        return f" (rotation {self._index.rotation}); use backend='pyav'"

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

    def _decode_batch(self, indices: np.ndarray) -> np.ndarray:
        try:
            return self._reader.get_batch([int(i) for i in indices]).asnumpy()
        except Exception as err:
            raise VideoDecodeError(
                f"{self._path}: decord failed to decode frames "
                f"{int(indices.min())}..{int(indices.max())}: "
                f"{describe_decoder_error(err)}") from err

    def close(self) -> None:
        self._reader = None


def _torchcodec_reader(path: str, index: FrameIndex, threads: bool,
                       data: Optional[bytes]) -> VideoReader:
    from sgfb.data.video_torchcodec import TorchCodecVideoReader   # imports torch
    return TorchCodecVideoReader(path, index, data=data)


# backend name -> (path, index, threads, data) -> reader; the names are BACKENDS[1:]
READERS: Dict[str, Callable[[str, FrameIndex, bool, Optional[bytes]], VideoReader]] = {
    "torchcodec": _torchcodec_reader,
    "pyav": lambda path, index, threads, data: PyAVVideoReader(path, index, threads=threads,
                                                               data=data),
    "decord": lambda path, index, threads, data: DecordVideoReader(path, index),
}


def _make_reader(backend: str, path: str, index: FrameIndex,
                 threads: bool = True, data: Optional[bytes] = None) -> VideoReader:
    return READERS[backend](path, index, threads, data)


def open_video(path: PathLike, backend: str = "auto", allow_truncated: bool = False,
               index: Optional[FrameIndex] = None, threads: bool = True,
               data: Optional[bytes] = None) -> VideoReader:
    """Open ``path`` for decoding.

    backend: ``"torchcodec"``, ``"pyav"``, ``"decord"`` or ``"auto"``: the backends of
    :data:`AUTO_ORDER` in turn (the fastest exact one first, see ``docs/benchmarks.md``),
    falling back when one is not installed or refuses the file (e.g. it would count its
    frames differently). decord is used only when named: it is unmaintained since 2021.
    Raises :class:`VideoDecodeError` naming the file when it cannot be decoded, or is
    truncated or corrupt; ``allow_truncated=True`` reads the intact prefix of such a file.
    ``index``: the file's :func:`index_video` when the caller already has it (a data loader
    indexes each video once); ``threads=False``: single-threaded PyAV decoding.
    ``data``: the file's bytes, already read: the index and the decoder (torchcodec, PyAV) read
    them instead of the file, so the file is read once (decode-once inference); ``path``
    still names the video in messages.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown video backend {backend!r}; choose one of {BACKENDS}")
    path = os.fspath(path)
    if index is None:
        index = index_video(path, allow_truncated=allow_truncated, data=data)
    if backend != "auto":
        try:
            return _make_reader(backend, path, index, threads=threads, data=data)
        except ImportError as err:
            raise ImportError(f"backend={backend!r} requested but it is unavailable: {err}")
    for candidate in AUTO_ORDER[:-1]:
        try:
            return _make_reader(candidate, path, index, threads=threads, data=data)
        except (ImportError, OSError, VideoDecodeError):
            continue
    return _make_reader(AUTO_ORDER[-1], path, index, threads=threads, data=data)
