"""Action Genome frame keys: ``VIDEO.mp4/NNNNNN.png``.

NNNNNN is the 1-based index of the frame at the video's native rate, i.e. the number
``ffmpeg -i VIDEO.mp4 %06d.png`` gives it; the frame is shown at (NNNNNN - 1) / fps seconds.
"""
from __future__ import annotations

import re
from typing import Tuple

_KEY = re.compile(r"^(?P<video>[^/]+\.[A-Za-z0-9]+)/(?P<number>\d+)\.png$")


def parse_frame_key(key: str, source: str = "") -> Tuple[str, int]:
    """``"001YG.mp4/000615.png"`` -> ``("001YG.mp4", 615)``; ValueError naming the key."""
    match = _KEY.match(key) if isinstance(key, str) else None
    if match is None or int(match["number"]) < 1:
        where = f"{source}: " if source else ""
        raise ValueError(f"{where}malformed frame key {key!r}: expected 'VIDEO.mp4/NNNNNN.png' "
                         "with a 1-based frame number")
    return match["video"], int(match["number"])


def format_frame_key(video: str, frame_number: int) -> str:
    """``("001YG.mp4", 615)`` or ``("001YG", 615)`` -> ``"001YG.mp4/000615.png"``."""
    if frame_number < 1:
        raise ValueError(f"frame numbers are 1-based, got {frame_number} for {video}")
    if "." not in video:
        video += ".mp4"
    return f"{video}/{frame_number:06d}.png"


def frame_time(frame_number: int, fps: float) -> float:
    """Seconds at which 1-based frame ``frame_number`` is shown at ``fps``."""
    return (frame_number - 1) / fps
