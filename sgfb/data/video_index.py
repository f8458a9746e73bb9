"""Packet index of a video file: frame count, timestamps, keyframes, damage (no decoding).

Every reader of :mod:`sgfb.data.video` starts from this index, whatever its backend, so all
backends agree on ``num_frames`` and the timestamps:

- Packets flagged as discarded by an edit list are not frames; they are left out.
- A damaged file is refused with :class:`VideoDecodeError` naming the file and the damage:
  a packet the demuxer flags as corrupt (the data was cut off), a read error, or fewer
  packets than the container's sample table lists (a file whose header is intact but whose
  tail is missing, e.g. an interrupted copy or download). With ``allow_truncated=True`` the
  index instead keeps the frames shown before the cut's decode time: every later packet has
  ``pts >= dts >= cut``, so the frames kept form a complete prefix.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, List, Optional, Union

import av
import numpy as np

from sgfb.data.video_errors import VideoDecodeError, describe_decoder_error

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class FrameIndex:
    """What the demuxer says about a video stream, in display order.

    pts: int64 ``[N]`` presentation timestamps (stream time base) of the displayed frames,
        sorted; ``None`` when the packets carry no usable timestamps (then frames are
        identified by counting from the start and seeking is disabled).
    keyframes: int64 ``[K]`` sorted display indices of keyframes (always contains 0).
    leading_pictures: some keyframe after the first is followed, in decode order, by frames
        shown before it (MPEG-4 part 2 or open-GOP B-frames); decord's seeking returns the
        wrong frames for such files.
    damage: ``None`` for an intact file; otherwise what is wrong with it (only with
        ``allow_truncated=True``, when the index holds the intact prefix).
    rotation: degrees (0, 90, 180 or 270) by which decoded pictures are turned
        counterclockwise for display, from the stream's display matrix (phones record
        portrait video as landscape pictures plus this tag). ``width`` and ``height`` are the
        displayed size, after the rotation; every reader returns displayed frames, as
        ``ffmpeg -i VIDEO %06d.png`` (autorotate on) and players show them. Flips in the
        display matrix are not applied.
    """

    num_frames: int
    fps: Fraction
    time_base: Fraction
    width: int
    height: int
    pts: Optional[np.ndarray]
    keyframes: np.ndarray
    leading_pictures: bool
    damage: Optional[str] = None
    rotation: int = 0
    output_rate: Optional[Fraction] = None  # FFmpeg's guessed rate (``ffmpeg -i`` output)
    start_offset: float = 0.0  # seconds from the container's start to the first frame


@dataclass
class _Packets:
    """Video packets in decode order (edit-list discards and empty packets left out)."""

    timestamps: List[Optional[int]]  # pts, or dts when a packet has no pts
    key_flags: List[bool]
    cutoff: Optional[int] = None  # set when the file is cut off: frames with pts >= it are lost
    damage: Optional[str] = None  # what is wrong, when cutoff is set
    seen: int = 0  # packets read before the damage (discards included)
    rotation: Optional[int] = None  # display rotation of the first decoded frame


def _demux(container: Any, stream: Any, file_size: int) -> _Packets:
    """Read all packets of ``stream``; a corrupt (cut-off) packet, a read error, or fewer
    packets than the header lists mark the file as damaged."""
    packets = _Packets([], [])
    last_dts: Optional[int] = None
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.is_corrupt:
                # Later packets have dts (hence pts) >= this dts; they may be lost.
                packets.cutoff = packet.dts if packet.dts is not None else packet.pts
                cut = packet.pos is not None and packet.pos + packet.size >= file_size
                packets.damage = (f"missing tail: the file ends inside packet {packets.seen + 1}"
                                  if cut else f"corrupt packet {packets.seen + 1}")
                break
            packets.seen += 1
            last_dts = packet.dts if packet.dts is not None else last_dts
            if packet.is_discard:
                continue
            packets.timestamps.append(packet.pts if packet.pts is not None else packet.dts)
            packets.key_flags.append(bool(packet.is_keyframe))
            if packets.rotation is None:
                packets.rotation = _first_frame_rotation(packet)
    except (av.error.FFmpegError, OSError) as err:
        packets.damage = f"read error after packet {packets.seen}: {describe_decoder_error(err)}"
    listed = stream.frames or 0
    if packets.damage is None and listed and packets.seen < listed:
        packets.damage = f"missing tail: the file ends after packet {packets.seen}"
    if packets.damage is not None and packets.cutoff is None:
        # Lost packets have dts > last_dts. Without any dts no frame can be vouched for.
        packets.cutoff = last_dts + 1 if last_dts is not None else np.iinfo(np.int64).min
    return packets


def _first_frame_rotation(packet: Any) -> Optional[int]:
    """Display rotation of the frame ``packet`` completes (``None`` while the decoder holds
    it back): the decoder attaches the stream's display matrix to its frames, PyAV does not
    expose the stream's. One frame is decoded per file; an undecodable first packet gives 0
    (the decoding readers then report the damage)."""
    try:
        frames = packet.decode()
    except (av.error.FFmpegError, ValueError):
        return 0
    if not frames:
        return None
    return (int(round(frames[0].rotation / 90.0)) * 90) % 360


def index_video(path: PathLike, allow_truncated: bool = False,
                data: Optional[bytes] = None) -> FrameIndex:
    """Demux (without decoding) the first video stream of ``path`` and index its frames.
    ``data``: the file's bytes, already read (they are demuxed instead of the file, which is
    then not read again; ``path`` still names the video in messages).

    Raises :class:`VideoDecodeError` naming the file when it is missing, empty, not a
    video, unreadable, truncated or corrupt (see the module docstring; ``allow_truncated``
    keeps the intact prefix of a truncated file instead), or holds no decodable frames.
    """
    path = os.fspath(path)
    if data is None and not os.path.isfile(path):
        raise VideoDecodeError(f"{path}: video file does not exist")
    size = len(data) if data is not None else os.path.getsize(path)
    if size == 0:
        raise VideoDecodeError(f"{path}: video file is empty (0 bytes)")
    try:
        with av.open(io.BytesIO(data) if data is not None else path) as container:
            if not container.streams.video:
                raise VideoDecodeError(f"{path}: no video stream in the file")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            output_rate = Fraction(stream.guessed_rate) if stream.guessed_rate else None
            container_start = (container.start_time or 0) / 1_000_000
            if not rate:
                raise VideoDecodeError(f"{path}: the container states no frame rate")
            packets = _demux(container, stream, size)
            listed = int(stream.frames or 0)
            width, height = stream.codec_context.width, stream.codec_context.height
            time_base = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1)
    except VideoDecodeError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise VideoDecodeError(f"{path}: cannot read video: {describe_decoder_error(err)}") \
            from err
    if width <= 0 or height <= 0:
        raise VideoDecodeError(f"{path}: the video stream has no frame size")
    rotation = packets.rotation or 0
    if rotation in (90, 270):
        width, height = height, width
    timestamps, key_flags = packets.timestamps, packets.key_flags
    timed = all(t is not None for t in timestamps)
    if packets.cutoff is not None:
        if not timed:
            timestamps = []  # truncated and untimed: cannot tell complete frames apart
        keep = [t is not None and t < packets.cutoff for t in timestamps]
        timestamps = [t for t, k in zip(timestamps, keep) if k]
        key_flags = [f for f, k in zip(key_flags, keep) if k]
        if not allow_truncated:
            of = f" of the {listed} frames listed in its header" if listed else " frames"
            raise VideoDecodeError(
                f"{path}: truncated or corrupt video ({packets.damage}): only the first "
                f"{len(timestamps)}{of} can be decoded")
    if not timestamps:
        raise VideoDecodeError(f"{path}: the video stream contains no decodable frames")
    pts: Optional[np.ndarray] = None
    keyframes = np.array([0], dtype=np.int64)
    leading = False
    raw = np.asarray(timestamps, dtype=np.int64) if timed else None  # decode order
    if raw is not None and len(np.unique(raw)) == len(raw):
        order = np.argsort(raw, kind="stable")
        pts = raw[order]
        flags = np.asarray(key_flags, dtype=bool)
        keyframes = np.union1d(keyframes, np.flatnonzero(flags[order])).astype(np.int64)
        leading = _has_leading_pictures(raw, flags)
    start_offset = float(pts[0] * time_base) - container_start if pts is not None else 0.0
    return FrameIndex(len(timestamps), Fraction(rate), time_base, width, height, pts,
                      keyframes, leading, packets.damage, rotation, output_rate,
                      max(start_offset, 0.0))


def _has_leading_pictures(pts_decode_order: np.ndarray, key_flags: np.ndarray) -> bool:
    """True when a keyframe other than the first is followed (in decode order) by a packet
    with an earlier presentation time."""
    later_min = np.minimum.accumulate(pts_decode_order[::-1])[::-1]  # min over [i:]
    later_min = np.append(later_min[1:], np.iinfo(np.int64).max)  # min over [i + 1:]
    keys = np.flatnonzero(key_flags)
    keys = keys[pts_decode_order[keys] > pts_decode_order.min()]
    return bool(np.any(later_min[keys] < pts_decode_order[keys]))
