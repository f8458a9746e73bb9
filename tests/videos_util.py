"""Synthetic test videos whose frames say which frame they are.

Frame ``i`` (0-based) of a pattern video is ``[H, W, 3]`` RGB made of 16x16 blocks: the
first ``BITS`` blocks (row-major) are white/black for the bits of ``i`` (least significant
first), the remaining blocks carry a grey level that changes with ``i``. The bits survive
lossy coding, so :func:`read_pattern` recovers ``i`` from a decoded frame.
"""
from __future__ import annotations

import hashlib
import os
from fractions import Fraction
from typing import Optional, Tuple, Union

import av
import numpy as np

BLOCK = 16
BITS = 10
DEFAULT_SIZE = (96, 64)  # (W, H): 6 x 4 blocks

Rate = Union[int, Fraction]


def default_codec() -> str:
    """H.264 (libx264) when PyAV has it, otherwise MPEG-4 part 2."""
    return "libx264" if "libx264" in av.codec.codecs_available else "mpeg4"


def pattern_frame(index: int, size: Tuple[int, int] = DEFAULT_SIZE) -> np.ndarray:
    """uint8 ``[H, W, 3]`` RGB frame encoding ``index``."""
    width, height = size
    cols, rows = width // BLOCK, height // BLOCK
    assert cols * rows > BITS and index < 2 ** BITS
    frame = np.empty((height, width, 3), dtype=np.uint8)
    for cell in range(cols * rows):
        y, x = (cell // cols) * BLOCK, (cell % cols) * BLOCK
        if cell < BITS:
            value = 235 if (index >> cell) & 1 else 20
            frame[y:y + BLOCK, x:x + BLOCK] = value
        else:
            frame[y:y + BLOCK, x:x + BLOCK] = ((index * 37 + cell * 11) % 200 + 30,
                                               (index * 13) % 200 + 30, (cell * 29) % 200 + 30)
    return frame


def read_pattern(frame: np.ndarray) -> int:
    """The index encoded in a decoded ``[H, W, 3]`` pattern frame (any size >= the grid)."""
    height, width = frame.shape[:2]
    cols = width // BLOCK
    index = 0
    for cell in range(BITS):
        y, x = (cell // cols) * BLOCK, (cell % cols) * BLOCK
        centre = frame[y + 4:y + BLOCK - 4, x + 4:x + BLOCK - 4].astype(np.float64)
        if centre.mean() > 127:
            index |= 1 << cell
    return index


def write_pattern_video(path: Union[str, "os.PathLike[str]"], num_frames: int, fps: Rate,
                        codec: Optional[str] = None, size: Tuple[int, int] = DEFAULT_SIZE,
                        gop: int = 12, faststart: bool = False) -> str:
    """Write ``num_frames`` pattern frames at ``fps`` to an mp4 (B-frames on, keyframe every
    ``gop`` frames; ``faststart`` puts the index (moov) before the data)."""
    codec = codec or default_codec()
    path = os.fspath(path)
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(path, "w", options=options) as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "12", "preset": "veryfast", "g": str(gop), "bf": "2"}
        else:
            stream.options = {"qscale": "2", "g": str(gop), "bf": "2"}
        for index in range(num_frames):
            frame = av.VideoFrame.from_ndarray(pattern_frame(index, size), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def faststart_copy(source: str, target: str) -> str:
    """Remux ``source`` (no re-encoding) to ``target`` with its index (moov) first, so that a
    truncated copy keeps an intact header: the shape of an interrupted download."""
    with av.open(source) as src, av.open(target, "w", options={"movflags": "faststart"}) as dst:
        in_stream = src.streams.video[0]
        out_stream = dst.add_stream_from_template(in_stream)
        for packet in src.demux(in_stream):
            if packet.dts is None:
                continue
            packet.stream = out_stream
            dst.mux(packet)
    return target


def truncate_file(source: str, target: str, fraction: float = 0.5) -> str:
    """Copy the first ``fraction`` of ``source``'s bytes to ``target``."""
    with open(source, "rb") as handle:
        data = handle.read()
    with open(target, "wb") as handle:
        handle.write(data[:int(len(data) * fraction)])
    return target


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 images (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def write_timed_pattern_video(path: Union[str, "os.PathLike[str]"], slots, rate: int = 25,
                              tick: int = 1, audio_lead_s: float = 0.0) -> str:
    """Pattern frames ``0, 1, ...`` shown at times ``slots[i] * tick / (rate * tick)`` s
    (variable frame rate, gaps allowed); with ``audio_lead_s`` an AAC/MP2 audio track starts
    that long before the first video frame (the video track starts late)."""
    path = os.fspath(path)
    time_base = Fraction(1, rate * tick)
    with av.open(path, "w") as container:
        stream = container.add_stream(default_codec(), rate=rate)
        stream.width, stream.height = DEFAULT_SIZE
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        if stream.codec_context.name == "libx264":
            stream.options = {"crf": "12", "preset": "veryfast", "g": "12", "bf": "2"}
        else:
            stream.options = {"qscale": "2", "g": "12", "bf": "2"}
        audio = None
        if audio_lead_s:
            audio = container.add_stream("aac" if "aac" in av.codec.codecs_available else "mp2",
                                         rate=48000)
            audio.layout = "mono"
        offset = int(round(audio_lead_s / time_base)) if audio_lead_s else 0
        if audio is not None:
            samples = int(48000 * (audio_lead_s + (max(slots) + 1) / rate))
            for start in range(0, samples, 1024):
                chunk = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                                   layout="mono")
                chunk.sample_rate, chunk.pts = 48000, start
                container.mux(audio.encode(chunk))
        for index, slot in enumerate(slots):
            frame = av.VideoFrame.from_ndarray(pattern_frame(index), format="rgb24")
            frame.pts, frame.time_base = int(slot) + offset, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if audio is not None:
            container.mux(audio.encode())
    return path


def tree_digest(folder: Union[str, "os.PathLike[str]"]) -> dict:
    """``{relative path: sha256}`` of every file below ``folder``."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out
