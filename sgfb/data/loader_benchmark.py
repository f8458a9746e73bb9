"""Measure a clip dataset's data path against a plain PyAV seek-and-decode of the same clips
(``tools/benchmark_data.py``; in the spirit of PySlowFast's ``benchmark_data_loading``).

The loader side runs the dataset exactly as training does (one DataLoader with the config's
batch size and workers for all epochs, ``collate_clips``, each item in its epoch); every clip
it produced is recorded (video path, frame numbers, presentation timestamps). The reference side
then decodes the same frames of the same files the plainest way (``tools/benchmark_data.py``
runs it after each epoch of the loader on that epoch's clips, so that both sides meet the same
machine load on a shared machine): open the file, seek to the
keyframe before the clip's first frame, decode single-threaded up to its last frame, convert
the clip's frames to RGB and stack them, close the file. Both are timed in CPU-seconds of the
process and of its (finished) worker processes, so worker parallelism does not flatter either
side.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Dict, Iterator, List, Sequence, Tuple

import av
import numpy as np

from sgfb.data.video import index_video
from sgfb.utils.cpu_time import children_cpu_seconds, cpu_seconds, own_cpu_seconds


@dataclass
class Timing:
    clips: int
    cpu_s: float
    wall_s: float

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.wall_s if self.wall_s > 0 else float("inf")

    @property
    def cpu_per_clip(self) -> float:
        return self.cpu_s / self.clips

    def __add__(self, other: "Timing") -> "Timing":
        return Timing(self.clips + other.clips, self.cpu_s + other.cpu_s,
                      self.wall_s + other.wall_s)


@dataclass(frozen=True)
class ClipRecord:
    """One decoded clip: the original file, its frame numbers (0-based display indices) and
    their presentation timestamps (``pts`` in the stream's ``time_base``; ``times_s``
    relative to the first frame); ``read_from``: the file the loader decoded (a prepared copy
    of ``video``, same frame numbers and times, or ``video`` itself)."""

    video: str
    frames: Tuple[int, ...]
    pts: Tuple[int, ...]
    time_base: Fraction
    times_s: Tuple[float, ...]
    read_from: str = ""

    def to_json(self) -> str:
        return json.dumps({"video": self.video, "read_from": self.read_from or self.video,
                           "frames": list(self.frames),
                           "pts": list(self.pts), "time_base": str(self.time_base),
                           "times_s": [round(t, 6) for t in self.times_s]})


def epoch_items(num_items: int, num_clips: int) -> List[Tuple[int, List[int]]]:
    """``[(epoch, item indices)]`` covering ``num_clips`` training items: every item of
    epoch 0 in order, then epoch 1, ... (the last epoch partly)."""
    if num_items < 1:
        raise ValueError("the dataset has no items")
    out: List[Tuple[int, List[int]]] = []
    for start in range(0, num_clips, num_items):
        count = min(num_items, num_clips - start)
        out.append((start // num_items, list(range(count))))
    return out


def run_loader(dataset: Any, num_clips: int, batch_size: int, workers: int, collate: Any,
               after_epoch: Callable[[List[Tuple[str, List[int]]]], None]) -> Timing:
    """Run ``num_clips`` items through one DataLoader for every epoch, as the trainer does
    (:class:`~sgfb.data.epoch_items.EpochItems`: its workers start once); calls
    ``after_epoch([(video_id, frame indices)])`` with each epoch's clips as soon as that
    epoch's last batch arrived (e.g. the reference on those clips, so both sides meet the same
    machine load). Returns the loader's timing: this process's CPU and wall time outside
    ``after_epoch`` plus the CPU of the workers, counted when they exit at the end (work they
    prefetch meanwhile is loader work)."""
    from torch.utils.data import DataLoader

    from sgfb.data.epoch_items import EpochItems

    batches: List[List[Tuple[int, int]]] = []
    last_of_epoch = set()
    for epoch, items in epoch_items(len(dataset), num_clips):
        batches += [[(epoch, i) for i in items[start:start + batch_size]]
                    for start in range(0, len(items), batch_size)]
        last_of_epoch.add(len(batches) - 1)
    children0 = children_cpu_seconds()
    own_cpu, wall, clips, total = 0.0, 0.0, [], 0
    cpu0, wall0 = own_cpu_seconds(), time.perf_counter()
    loader = DataLoader(EpochItems(dataset), batch_sampler=batches, collate_fn=collate,
                        num_workers=workers)
    for number, batch in enumerate(loader):
        for video_id, indices in zip(batch["video_id"], batch["frame_indices"]):
            clips.append((video_id, indices.tolist()))
        if number in last_of_epoch:
            total += len(clips)
            own_cpu += own_cpu_seconds() - cpu0
            wall += time.perf_counter() - wall0
            after_epoch(clips)
            clips = []
            cpu0, wall0 = own_cpu_seconds(), time.perf_counter()
    del loader  # the workers exit and are reaped: their CPU time is counted
    own_cpu += own_cpu_seconds() - cpu0
    wall += time.perf_counter() - wall0
    return Timing(total, own_cpu + children_cpu_seconds() - children0, wall)


def clip_records(clips: Sequence[Tuple[str, List[int]]], video_path: Any,
                 read_path: Any = None) -> List[ClipRecord]:
    """Attach file paths and timestamps to ``(video_id, indices)`` clips: ``video_path(id)``
    the original file, ``read_path(id)`` the file the loader read (default: the same)."""
    indices: Dict[str, Any] = {}
    records = []
    for video_id, frames in clips:
        path = video_path(video_id)
        if path not in indices:
            indices[path] = index_video(path)
        index = indices[path]
        pts = [int(index.pts[i]) for i in frames]
        tb = index.time_base
        times = [(p - int(index.pts[0])) * tb.numerator / tb.denominator for p in pts]
        read = read_path(video_id) if read_path is not None else path
        records.append(ClipRecord(path, tuple(frames), tuple(pts), tb, tuple(times), read))
    return records


def reference_clip(path: str, pts: Sequence[int]) -> np.ndarray:
    """Plain PyAV: open, seek to the keyframe at or before the first wanted timestamp, decode
    single-threaded up to the last one, convert the wanted frames to RGB, stack, close."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        container.seek(int(min(pts)), stream=stream, backward=True, any_frame=False)
        wanted = set(int(p) for p in pts)
        last = max(wanted)
        got: Dict[int, np.ndarray] = {}
        for frame in container.decode(stream):
            if frame.pts in wanted:
                got[frame.pts] = frame.to_ndarray(format="rgb24")
            if frame.pts is not None and frame.pts >= last:
                break
    missing = [p for p in pts if int(p) not in got]
    if missing:
        raise RuntimeError(f"{path}: the reference decoder found no frame at pts {missing[0]}")
    return np.stack([got[int(p)] for p in pts])


def run_reference(records: Sequence[ClipRecord]) -> Timing:
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    for record in records:
        reference_clip(record.video, record.pts)
    return Timing(len(records), cpu_seconds() - cpu0, time.perf_counter() - wall0)


def iter_lines(records: Sequence[ClipRecord]) -> Iterator[str]:
    for record in records:
        yield record.to_json() + "\n"
