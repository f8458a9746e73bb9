"""Extract the annotated Action Genome frames from the Charades videos as PNG files.

Layout written (the one the official AG tool writes)::

    OUT/VIDEO.mp4/NNNNNN.png      NNNNNN = AG frame number, 1-based, 6 digits
    OUT/VIDEO.mp4/.complete.json  completion marker: {"video": ..., "frames": [...]}

AG frame number ``n`` is the image ``ffmpeg -i VIDEO.mp4 %06d.png`` names ``n``: decoded
index ``n - 1`` on constant-rate files; on files with timestamp gaps (where ffmpeg repeats
or skips frames) the decoded frame :func:`~sgfb.data.ffmpeg_numbering.ffmpeg_image_frames`
says, so that ours and ffmpeg's images agree on every file. PNG is lossless, so the pixels equal ffmpeg's.

Each video is decoded once, streaming, stopping after its last annotated frame; only the
annotated frames are converted to RGB and PNG-encoded (fast zlib settings). Frames are
written into a temporary sibling directory that is renamed into place together with the
marker, so an interrupted run leaves either a complete video directory or none; a rerun
skips complete videos and redoes the rest.
"""
from __future__ import annotations

import concurrent.futures
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import cv2

from sgfb.atomic_io import atomic_directory, remove_stale_temporaries
from sgfb.data.frame_keys import parse_frame_key
from sgfb.data.ffmpeg_numbering import ffmpeg_image_frames
from sgfb.data.video import open_video
from sgfb.engine.workers import process_pool

PathLike = Union[str, "os.PathLike[str]"]

MARKER_NAME = ".complete.json"

#: zlib level 1, run-length matching, "up" row filter. Measured on 640x480 video frames:
#: 8.5 ms/frame and 534 kB (OpenCV 5 defaults: 9 ms, 612 kB; level 1 with adaptive filters:
#: 20 ms, 510 kB; ffmpeg's PNG encoder: ~790 kB). PNG is lossless, so pixels are unaffected.
PNG_PARAMS: List[int] = [cv2.IMWRITE_PNG_COMPRESSION, 1,
                         cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):  # OpenCV >= 4.11
    PNG_PARAMS += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]


class FrameRangeError(ValueError):
    """Annotated frame numbers lie beyond the end of the video; names video and frames."""


def group_frame_keys(frame_keys: Iterable[str]) -> Dict[str, List[int]]:
    """Frame keys -> ``{video file name: sorted distinct frame numbers}`` (videos sorted).

    A malformed key raises ValueError naming it (:func:`sgfb.data.frame_keys.parse_frame_key`).
    """
    groups: Dict[str, set] = {}
    for key in frame_keys:
        video, number = parse_frame_key(key)
        groups.setdefault(video, set()).add(number)
    return {video: sorted(groups[video]) for video in sorted(groups)}


def frame_file_name(number: int) -> str:
    """AG frame number -> file name, e.g. ``89 -> "000089.png"``."""
    return f"{number:06d}.png"


def is_complete(video_out_dir: PathLike, frame_numbers: Sequence[int]) -> bool:
    """True when ``video_out_dir`` holds a marker listing (at least) ``frame_numbers``."""
    marker = Path(video_out_dir) / MARKER_NAME
    try:
        recorded = set(json.loads(marker.read_text(encoding="utf-8"))["frames"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return set(frame_numbers) <= recorded


def dump_video(video_path: PathLike, frame_numbers: Sequence[int], out_dir: PathLike,
               backend: str = "pyav") -> int:
    """Write the AG frames ``frame_numbers`` (1-based) of one video as ``out_dir/NNNNNN.png``.

    Decodes the video once; replaces ``out_dir`` atomically (temporary sibling directory,
    marker, rename). Returns the number of frames written. Raises
    :class:`~sgfb.data.video.VideoDecodeError` for unreadable videos and
    :class:`FrameRangeError` for frame numbers past the end, both naming the video.
    """
    numbers = sorted(set(int(n) for n in frame_numbers))
    if numbers and numbers[0] < 1:
        raise ValueError(f"{video_path}: AG frame numbers start at 1, got {numbers[0]}")
    with atomic_directory(os.fspath(out_dir)) as folder:
        temporary = Path(folder)
        written = 0
        if numbers:
            with open_video(video_path, backend=backend) as reader:
                images = ffmpeg_image_frames(reader.index)  # AG number n -> images[n - 1]
                beyond = [n for n in numbers if n > len(images)]
                if beyond:
                    raise FrameRangeError(
                        f"{video_path}: frame {beyond[0]} requested"
                        f"{f' (and {len(beyond) - 1} more)' if len(beyond) > 1 else ''} but "
                        f"the video has only {len(images)} frames (as `ffmpeg -i VIDEO "
                        f"%06d.png` numbers them)")
                source = {n: int(images[n - 1]) for n in numbers}
                for index, rgb in reader.iter_frames(sorted(set(source.values()))):
                    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
                    ok, png = cv2.imencode(".png", bgr, PNG_PARAMS)
                    if not ok:
                        raise OSError(f"{video_path}: PNG encoding failed for frame {index + 1}")
                    for number in (n for n in numbers if source[n] == index):
                        (temporary / frame_file_name(number)).write_bytes(png.tobytes())
                        written += 1
        marker = {"video": os.path.basename(os.fspath(video_path)), "frames": numbers}
        (temporary / MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
    return written


@dataclass
class DumpSummary:
    """Outcome of :func:`dump_frames`: video file names per outcome, frames written."""

    done: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)  # video -> error message
    frames_written: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def format(self) -> str:
        """Human-readable summary; lists every failure."""
        lines = [f"frame extraction: {len(self.done)} videos done, {len(self.skipped)} "
                 f"already complete (skipped), {len(self.failed)} failed; "
                 f"{self.frames_written} frames written"]
        lines += [f"  FAILED {video}: {error}" for video, error in sorted(self.failed.items())]
        return "\n".join(lines)


def _dump_one(video_path: str, frame_numbers: List[int], out_dir: str,
              backend: str) -> Tuple[int, Optional[str]]:
    """Worker: ``(frames written, None)`` or ``(0, error message)``; never raises."""
    try:
        return dump_video(video_path, frame_numbers, out_dir, backend=backend), None
    except Exception as err:  # one bad video must not stop the others
        return 0, f"{type(err).__name__}: {err}"


def dump_frames(videos_dir: PathLike, frame_keys: Iterable[str], out_dir: PathLike,
                workers: int = 1, progress: bool = True, backend: str = "pyav") -> DumpSummary:
    """Extract all ``frame_keys`` (``VIDEO.mp4/NNNNNN.png``) from ``videos_dir/VIDEO.mp4``
    into ``out_dir/VIDEO.mp4/NNNNNN.png``.

    One task per video, ``workers`` processes (1: in this process). Complete videos are
    skipped; failures are collected in the summary and do not stop the other videos.
    """
    from tqdm import tqdm

    groups = group_frame_keys(frame_keys)
    out_root = Path(out_dir)
    out_root.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(os.fspath(out_root))
    summary = DumpSummary()
    tasks: List[Tuple[str, str, List[int], str]] = []
    for video, numbers in groups.items():
        target = out_root / video
        if is_complete(target, numbers):
            summary.skipped.append(video)
        else:
            tasks.append((video, os.path.join(os.fspath(videos_dir), video), numbers,
                          os.fspath(target)))

    bar = tqdm(total=len(tasks), disable=not progress, unit="video", desc="dump frames")

    def record(video: str, result: Tuple[int, Optional[str]]) -> None:
        written, error = result
        if error is None:
            summary.done.append(video)
            summary.frames_written += written
        else:
            summary.failed[video] = error
            bar.set_postfix(failed=len(summary.failed))
        bar.update(1)

    try:
        if workers <= 1:
            for video, path, numbers, target in tasks:
                record(video, _dump_one(path, numbers, target, backend))
        else:
            with process_pool(workers) as pool:
                futures = {pool.submit(_dump_one, path, numbers, target, backend): video
                           for video, path, numbers, target in tasks}
                for future in concurrent.futures.as_completed(futures):
                    record(futures[future], future.result())
    finally:
        bar.close()
    summary.done.sort()
    return summary

