#!/usr/bin/env python
"""Benchmark: annotated-frame extraction, ours (sgfb.data.frame_dump) vs the official AG tool.

Generates Charades-like videos (640x480, 30 s, 30 fps, H.264 via libx264 with its default
settings when PyAV has it, else MPEG-4 part 2) with ~25 annotated frames each (AG's density),
then times, with the same number of workers:

- reference (Action Genome's tools/dump_frames.py): ``ffmpeg -i VIDEO.mp4 OUT/%06d.png`` per
  video (every frame as PNG), then delete the frames that are not annotated;
- ours: ``dump_frames`` (one streaming decode per video, only annotated frames encoded).

Checks that both wrote the same files with identical pixels, prints both times, the ratio,
and where our time goes.

    python bench/dump_frames.py --videos 8 --seconds 30 --workers 1
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import av
import cv2
import numpy as np

from sgfb.data.frame_dump import PNG_PARAMS, dump_frames, dump_video
from sgfb.data.video import open_video

WIDTH, HEIGHT = 640, 480


def pick_codec() -> str:
    return "libx264" if "libx264" in av.codec.codecs_available else "mpeg4"


def make_video(path: str, seconds: float, fps: int, seed: int, codec: str) -> str:
    """Camera-like content: a blurred random texture panning slowly, a moving disc and mild
    sensor noise; encoder defaults (libx264: preset medium, crf 23, keyint 250, B-frames)."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (HEIGHT // 8 + 40, WIDTH // 8 + 40, 3), dtype=np.uint8)
    texture = cv2.GaussianBlur(cv2.resize(cells, None, fx=8, fy=8,
                                          interpolation=cv2.INTER_CUBIC), (0, 0), 3)
    with av.open(path, "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        if codec == "mpeg4":
            stream.options = {"qscale": "4"}
        for i in range(int(round(seconds * fps))):
            dx, dy = int(100 + 80 * np.sin(i / 40 + seed)), int(100 + 60 * np.cos(i / 55))
            image = texture[dy:dy + HEIGHT, dx:dx + WIDTH].copy()
            centre = (int(i * 7 + 50 * seed) % WIDTH, int(HEIGHT / 2 + 100 * np.sin(i / 20)))
            cv2.circle(image, centre, 40, (255, 50, 50), -1)
            image = cv2.add(image, rng.integers(0, 6, image.shape, dtype=np.uint8))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())
    return path


def annotated_frames(num_frames: int, per_video: int, seed: int) -> List[int]:
    """``per_video`` distinct 1-based frame numbers spread over the video (AG-like)."""
    rng = np.random.default_rng(seed)
    return sorted(int(n) + 1 for n in rng.choice(num_frames, per_video, replace=False))


def reference_one(ffmpeg: str, video: Path, keep: List[int], out: Path) -> None:
    """What the official AG tool does for one video."""
    out.mkdir(parents=True)
    subprocess.run([ffmpeg, "-v", "error", "-i", str(video), str(out / "%06d.png")], check=True)
    wanted = {f"{n:06d}.png" for n in keep}
    for name in os.listdir(out):
        if name not in wanted:
            os.remove(out / name)


def run_reference(ffmpeg: str, videos_dir: Path, frames: Dict[str, List[int]], out: Path,
                  workers: int) -> float:
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(reference_one, ffmpeg, videos_dir / v, n, out / v)
                for v, n in frames.items()]
        for job in jobs:
            job.result()
    return time.perf_counter() - start


def run_ours(videos_dir: Path, frames: Dict[str, List[int]], out: Path, workers: int,
             backend: str) -> float:
    keys = [f"{v}/{n:06d}.png" for v, numbers in frames.items() for n in numbers]
    start = time.perf_counter()
    summary = dump_frames(videos_dir, keys, out, workers=workers, progress=False,
                          backend=backend)
    elapsed = time.perf_counter() - start
    if summary.failed:
        raise RuntimeError(summary.format())
    return elapsed


def compare_outputs(ours: Path, reference: Path, frames: Dict[str, List[int]]) -> Tuple[int, int]:
    """(frames compared, frames with any differing pixel)."""
    compared = differing = 0
    for video, numbers in frames.items():
        for n in numbers:
            a = cv2.imread(str(ours / video / f"{n:06d}.png"))
            b = cv2.imread(str(reference / video / f"{n:06d}.png"))
            compared += 1
            differing += int(a is None or b is None or not np.array_equal(a, b))
    return compared, differing


def _time_png(frames: List[np.ndarray], params: List[int], repeat: int = 3) -> float:
    """Best-of-``repeat`` seconds to PNG-encode ``frames`` with OpenCV ``params``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for frame in frames:
            cv2.imencode(".png", frame, params)
        best = min(best, time.perf_counter() - start)
    return best


def breakdown(video: Path, numbers: List[int], scratch: Path) -> List[str]:
    """Where our time goes for one video (single process)."""
    lines = []
    start = time.perf_counter()
    reader = open_video(video, backend="pyav")
    t_index = time.perf_counter() - start
    start = time.perf_counter()
    decoded = [frame for _, frame in reader.iter_frames([n - 1 for n in numbers])]
    t_decode = time.perf_counter() - start
    reader.close()
    start = time.perf_counter()
    with av.open(str(video)) as container:
        container.streams.video[0].thread_type = "AUTO"
        total = sum(1 for _ in container.decode(video=0))
    t_all = time.perf_counter() - start
    bgr = [cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) for frame in decoded]
    t_png, t_png_default = _time_png(bgr, PNG_PARAMS), _time_png(bgr, [])
    lines.append(f"  index (demux packets, no decoding):           {t_index * 1e3:7.1f} ms")
    lines.append(f"  decode to the last annotated frame, {len(numbers)} to RGB: "
                 f"{t_decode * 1e3:7.1f} ms  (decoding all {total} frames: {t_all * 1e3:.1f} ms)")
    lines.append(f"  PNG-encode {len(numbers)} frames, our settings:        {t_png * 1e3:7.1f} ms"
                 f"  (OpenCV defaults: {t_png_default * 1e3:.1f} ms)")
    for backend in ("pyav", "decord"):
        try:
            start = time.perf_counter()
            dump_video(video, numbers, scratch / backend, backend=backend)
            lines.append(f"  dump_video total, backend={backend:6s}:         "
                         f"{(time.perf_counter() - start) * 1e3:7.1f} ms")
        except Exception as err:  # decord missing or refusing the file
            lines.append(f"  dump_video backend={backend}: unavailable ({err})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--frames-per-video", type=int, default=25)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", default="pyav", choices=("pyav", "decord", "auto"))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; best is kept")
    parser.add_argument("--workdir", help="keep generated videos here and reuse them")
    args = parser.parse_args()

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("ffmpeg not found (make sysdeps installs it)")
    codec = pick_codec()
    root = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench_dump_"))
    videos_dir = root / f"videos_{codec}_{args.seconds:g}s_{args.fps}fps"
    videos_dir.mkdir(parents=True, exist_ok=True)
    names = [f"V{i:04d}.mp4" for i in range(args.videos)]
    missing = [(i, n) for i, n in enumerate(names) if not (videos_dir / n).exists()]
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(make_video, [str(videos_dir / n) for _, n in missing],
                      [args.seconds] * len(missing), [args.fps] * len(missing),
                      [i for i, _ in missing], [codec] * len(missing)))
    print(f"generated {len(missing)} videos in {time.perf_counter() - start:.1f} s "
          f"({len(names) - len(missing)} reused) under {videos_dir}")
    num_frames = open_video(videos_dir / names[0], backend="pyav").num_frames
    frames = {n: annotated_frames(num_frames, args.frames_per_video, i)
              for i, n in enumerate(names)}

    ref_times, our_times = [], []
    for _ in range(args.repeat):
        for path in (root / "out_reference", root / "out_ours"):
            shutil.rmtree(path, ignore_errors=True)
        ref_times.append(run_reference(ffmpeg, videos_dir, frames, root / "out_reference",
                                       args.workers))
        our_times.append(run_ours(videos_dir, frames, root / "out_ours", args.workers,
                                  args.backend))
    compared, differing = compare_outputs(root / "out_ours", root / "out_reference", frames)
    ref, ours = min(ref_times), min(our_times)

    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.split()
    print(f"machine: {os.cpu_count()} CPU cores, {platform.machine()}, no GPU used; "
          f"ffmpeg {version[2] if len(version) > 2 else '?'}, PyAV {av.__version__}, "
          f"OpenCV {cv2.__version__}")
    print(f"videos: {len(names)} x {args.seconds:g} s, {WIDTH}x{HEIGHT}, {args.fps} fps, "
          f"{num_frames} frames each, codec {codec}; {args.frames_per_video} annotated frames "
          f"per video; workers {args.workers}; backend {args.backend}")
    print(f"reference (ffmpeg all frames -> PNG, delete unneeded): {ref:8.2f} s "
          f"({ref / len(names):.2f} s/video)  runs: {', '.join(f'{t:.2f}' for t in ref_times)}")
    print(f"ours (sgfb.data.frame_dump):                          {ours:8.2f} s "
          f"({ours / len(names):.2f} s/video)  runs: {', '.join(f'{t:.2f}' for t in our_times)}")
    print(f"speed-up: {ref / ours:.1f}x")
    print(f"output check: {compared} frames compared, {differing} with differing pixels")
    print("where our time goes (first video, one process):")
    for line in breakdown(videos_dir / names[0], frames[names[0]], root / "breakdown"):
        print(line)
    if not args.workdir:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
