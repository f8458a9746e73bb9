"""Generate a synthetic Action Genome / Charades dataset: the top-level API.

``make_synthetic(out_dir, videos, seed)`` writes videos and annotations in the layout and
formats of the real downloads (see :mod:`~sgfb.synthetic.writer`), rendering the videos
in a process pool. The same arguments give byte-identical annotation files and videos that
decode to identical frames.
"""
from __future__ import annotations

import concurrent.futures as futures
import logging
import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from sgfb.structures.frame_keys import format_frame_key
from sgfb.synthetic import writer
from sgfb.synthetic.annotate import annotated_frame_numbers, object_entries, person_entry
from sgfb.synthetic.camera import camera_path
from sgfb.synthetic.charades_rows import charades_row
from sgfb.synthetic.ids import VideoSpec, plan_videos
from sgfb.synthetic.render import FrameRenderer
from sgfb.synthetic.scenes import compose_scene
from sgfb.synthetic.schedule import EMPTY_VIDEO_PROBABILITY
from sgfb.synthetic.video import VideoWriter, video_codec
from sgfb.synthetic.world import build_world
from sgfb.utils.workers import process_pool

log = logging.getLogger(__name__)

MIN_SIZE = (64, 48)
MIN_SECONDS = 1.0


@dataclass(frozen=True)
class VideoJob:
    """Everything a worker needs to make one video."""

    seed: int
    spec: VideoSpec
    size: Tuple[int, int]
    seconds: float
    video_path: Optional[str]
    empty_video_share: float = EMPTY_VIDEO_PROBABILITY


@dataclass
class VideoResult:
    """What a worker sends back: the video's annotations (frame key -> entry) and CSV row."""

    video_id: str
    split: str
    fps: float
    frames: int
    objects: Dict[str, List[Dict[str, Any]]]
    persons: Dict[str, Dict[str, Any]]
    charades_row: Dict[str, str]
    action_instances: int


@dataclass(frozen=True)
class SyntheticSummary:
    """What :func:`make_synthetic` wrote and how long it took (``seconds``, wall clock)."""

    out_dir: str
    videos: int
    train_videos: int
    test_videos: int
    frames: int
    annotated_frames: int
    action_instances: int
    seconds: float
    workers: int
    codec: str

    def __str__(self) -> str:
        return (f"synthetic Action Genome in {self.out_dir}: {self.videos} videos "
                f"({self.train_videos} train / {self.test_videos} test), {self.frames} frames, "
                f"{self.annotated_frames} annotated frames, {self.action_instances} action "
                f"instances; {self.seconds:.1f} s with {self.workers} worker(s), {self.codec}")


def make_synthetic(out_dir: str, videos: int, seed: int, size: Tuple[int, int] = (320, 240),
                   seconds: float = 10.0, workers: Optional[int] = None,
                   render: bool = True, test_videos: Optional[int] = None,
                   empty_video_share: float = EMPTY_VIDEO_PROBABILITY) -> SyntheticSummary:
    """Write ``videos`` synthetic videos of ``seconds`` s at ``size`` = (width, height) pixels
    with their AG and Charades annotations under ``out_dir``; ``workers`` processes render
    (default: one per CPU core; they are spawned, so a calling script needs the usual
    ``if __name__ == "__main__":`` guard). Returns a summary.

    ``test_videos``: how many of the videos form the test split (default about 20 %).

    ``empty_video_share``: the probability that a video has no labelled action (default
    :data:`~sgfb.synthetic.schedule.EMPTY_VIDEO_PROBABILITY`, about Charades' share). Such a
    video has no annotated frame, as in Action Genome, which annotates frames inside actions
    only. Every other video is the same at any share.

    ``render=False`` writes the annotations only (no videos; the same annotation files as a
    rendering run), for studies on graphs alone; it takes about 0.01 s per video.

    Raises ValueError for bad arguments (naming the argument and the value)."""
    size, workers = _check_arguments(out_dir, videos, seed, size, seconds, workers)
    _check_test_videos(test_videos, videos)
    _check_share(empty_video_share)
    seed, videos, workers = int(seed), int(videos), min(workers, int(videos))
    started = time.perf_counter()
    paths = writer.make_folders(str(out_dir))
    specs = plan_videos(seed, videos, test_videos)
    _warn_about_stale_videos(paths["videos"], specs)
    jobs = [VideoJob(seed, s, size, float(seconds),
                     os.path.join(paths["videos"], s.file_name) if render else None,
                     float(empty_video_share))
            for s in specs]
    results = _run(jobs, workers if render else 1)
    objects: Dict[str, Any] = {}
    persons: Dict[str, Any] = {}
    for result in results:
        objects.update(result.objects)
        persons.update(result.persons)
    writer.write_annotations(paths, objects, persons)
    writer.write_charades(paths, [r.charades_row for r in results],
                          {r.video_id: r.split for r in results},
                          {f"{r.video_id}.mp4": r.fps for r in results})
    return SyntheticSummary(
        out_dir=str(out_dir), videos=len(results),
        train_videos=sum(r.split == "train" for r in results),
        test_videos=sum(r.split == "test" for r in results),
        frames=sum(r.frames for r in results), annotated_frames=len(objects),
        action_instances=sum(r.action_instances for r in results),
        seconds=time.perf_counter() - started, workers=workers if render else 1,
        codec=video_codec() if render else "none (annotations only)")


def generate_video(job: VideoJob, render: bool = True) -> VideoResult:
    """Render, encode and annotate one video; with ``render=False`` only the annotations are
    made (nothing is written; the scenes of annotated frames are laid out exactly as when
    rendering)."""
    spec, (width, height) = job.spec, job.size
    world = build_world(job.seed, spec.index, job.size, job.seconds, job.empty_video_share)
    rate = float(spec.rate)
    frames = int(round(job.seconds * rate))
    camera = camera_path(np.random.default_rng([job.seed, spec.index, 2]), world, rate, frames)
    annotated = annotated_frame_numbers(world.plan, (rate, spec.fps), frames)
    change_times = world.change_times()
    objects: Dict[str, List[Dict[str, Any]]] = {}
    persons: Dict[str, Dict[str, Any]] = {}

    def annotate(scene, number: int) -> None:
        key = format_frame_key(spec.file_name, number)
        objects[key] = object_entries(scene, world.objects, spec.file_name, number, spec.split)
        persons[key] = person_entry(scene)

    if render:
        renderer = FrameRenderer(np.random.default_rng([job.seed, spec.index, 1]), world.room)
        wanted = set(annotated)
        with VideoWriter(job.video_path, width, height, spec.rate) as video:
            for index in range(frames):
                scene = compose_scene(world, index / rate, camera.shift(index), change_times)
                video.write(renderer.render(scene, camera.gain[index]))
                if index + 1 in wanted:
                    annotate(scene, index + 1)
    else:
        for number in annotated:
            annotate(compose_scene(world, (number - 1) / rate, camera.shift(number - 1),
                                   change_times), number)
    row = charades_row(np.random.default_rng([job.seed, spec.index, 3]), spec.video_id, world,
                       frames / rate)
    return VideoResult(spec.video_id, spec.split, spec.fps, frames, objects, persons, row,
                       len(world.plan))


def _run(jobs: List[VideoJob], workers: int) -> List[VideoResult]:
    if workers == 1:
        return [generate_video(job, render=job.video_path is not None) for job in jobs]
    context = multiprocessing.get_context("spawn")
    try:
        with process_pool(workers, mp_context=context, initializer=_init_worker) as pool:
            return list(pool.map(generate_video, jobs))
    except futures.process.BrokenProcessPool as exc:
        raise RuntimeError(
            "a video worker process died. Worker processes are spawned: a script that calls "
            "make_synthetic with workers > 1 must do so under `if __name__ == \"__main__\":` "
            "(or pass workers=1)") from exc


def _init_worker() -> None:
    import cv2
    cv2.setNumThreads(1)


def _check_arguments(out_dir: Any, videos: Any, seed: Any, size: Any, seconds: Any,
                     workers: Any) -> Tuple[Tuple[int, int], int]:
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir):
        raise ValueError(f"out_dir must be a folder path, got {out_dir!r}")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"out_dir {str(out_dir)!r} exists and is not a folder")
    if isinstance(videos, bool) or not isinstance(videos, (int, np.integer)) or videos < 1:
        raise ValueError(f"videos must be a positive integer, got {videos!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    if width < MIN_SIZE[0] or height < MIN_SIZE[1] or width % 2 or height % 2:
        raise ValueError(f"size must be even and at least {MIN_SIZE[0]}x{MIN_SIZE[1]}, "
                         f"got {width}x{height}")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, np.integer, np.floating)) \
            or not np.isfinite(seconds) or seconds < MIN_SECONDS:
        raise ValueError(f"seconds must be a number >= {MIN_SECONDS}, got {seconds!r}")
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    return (width, height), int(workers)


def _check_test_videos(test_videos: Any, videos: int) -> None:
    if test_videos is None:
        return
    if isinstance(test_videos, bool) or not isinstance(test_videos, (int, np.integer)) \
            or not 0 <= test_videos <= videos:
        raise ValueError(f"test_videos must be an integer from 0 to videos ({videos}), "
                         f"got {test_videos!r}")


def _check_share(share: Any) -> None:
    if isinstance(share, bool) or not isinstance(share, (int, float, np.integer, np.floating)) \
            or not 0.0 <= share <= 1.0:
        raise ValueError(f"empty_video_share must be a number from 0 to 1, got {share!r}")


def _warn_about_stale_videos(folder: str, specs: List[VideoSpec]) -> None:
    expected = {s.file_name for s in specs}
    stale = sorted(f for f in os.listdir(folder) if f.endswith(".mp4") and f not in expected)
    if stale:
        log.warning("%s holds %d videos that are not part of this dataset (e.g. %s)",
                    folder, len(stale), stale[0])
