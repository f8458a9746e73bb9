"""Packet indices kept on disk, so that every data-loader worker of every epoch (and a
resumed run) reuses the index of a video instead of demuxing the whole file again.

One small ``.npz`` file per video in a folder (e.g. ``RUN/video_index``), named by a hash of
the video's absolute path and holding that path, the file's size and modification time and
the :class:`~sgfb.data.video_index.FrameIndex` (no pickle: arrays and a JSON header). A
stored index is used only when path, size and modification time all match the file now;
files are written atomically (temporary file + rename), so concurrent workers and killed runs
leave either a whole index or none.
"""
from __future__ import annotations

import hashlib
import json
import os
from fractions import Fraction
from typing import Optional, Tuple

import numpy as np

from sgfb.data.video_index import FrameIndex
from sgfb.utils.atomic_io import atomic_write

Stamp = Tuple[int, int]  # (size, mtime in ns)

_FORMAT = 1


def index_file(index_dir: str, video_path: str) -> str:
    """Where the index of ``video_path`` is stored in ``index_dir``."""
    digest = hashlib.sha1(os.path.abspath(video_path).encode("utf-8")).hexdigest()[:24]
    return os.path.join(index_dir, digest + ".npz")


def _fraction(value: Optional[Fraction]) -> Optional[list]:
    return None if value is None else [value.numerator, value.denominator]


def save_index(index_dir: str, video_path: str, stamp: Stamp, index: FrameIndex) -> str:
    """Store ``index`` of ``video_path`` (whose ``os.stat`` gave ``stamp``); returns the file."""
    os.makedirs(index_dir, exist_ok=True)
    header = {"format": _FORMAT, "path": os.path.abspath(video_path), "size": stamp[0],
              "mtime_ns": stamp[1], "num_frames": index.num_frames,
              "fps": _fraction(index.fps), "time_base": _fraction(index.time_base),
              "width": index.width, "height": index.height,
              "has_pts": index.pts is not None, "leading_pictures": index.leading_pictures,
              "damage": index.damage, "rotation": index.rotation,
              "output_rate": _fraction(index.output_rate),
              "start_offset": index.start_offset}
    pts = index.pts if index.pts is not None else np.zeros(0, np.int64)
    target = index_file(index_dir, video_path)
    with atomic_write(target) as f:
        np.savez(f, header=np.array(json.dumps(header)), pts=np.asarray(pts, np.int64),
                 keyframes=np.asarray(index.keyframes, np.int64))
    return target


def load_index(index_dir: str, video_path: str, stamp: Stamp) -> Optional[FrameIndex]:
    """The stored index of ``video_path`` if one exists for this exact file (same absolute
    path, size and modification time), else ``None`` (also for an unreadable store file)."""
    target = index_file(index_dir, video_path)
    try:
        with np.load(target, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            pts, keyframes = data["pts"], data["keyframes"]
    except (OSError, ValueError, KeyError, EOFError):
        return None
    if (header.get("format") != _FORMAT or header.get("path") != os.path.abspath(video_path)
            or (header.get("size"), header.get("mtime_ns")) != tuple(stamp)):
        return None

    def frac(value: Optional[list]) -> Optional[Fraction]:
        return None if value is None else Fraction(int(value[0]), int(value[1]))

    return FrameIndex(num_frames=int(header["num_frames"]), fps=frac(header["fps"]),
                      time_base=frac(header["time_base"]), width=int(header["width"]),
                      height=int(header["height"]),
                      pts=pts.astype(np.int64) if header["has_pts"] else None,
                      keyframes=keyframes.astype(np.int64),
                      leading_pictures=bool(header["leading_pictures"]),
                      damage=header["damage"], rotation=int(header["rotation"]),
                      output_rate=frac(header["output_rate"]),
                      start_offset=float(header["start_offset"]))
