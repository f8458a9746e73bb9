#!/usr/bin/env python
"""Benchmark: the video backends of sgfb.data.video, side by side in one run.

1. Speed: CPU-seconds per training clip (``--frames`` frames at ``--stride``, random start,
   the same clips for every backend) on Charades-like H.264 videos (libx264 defaults:
   keyframe every 250 frames, B-frames), each backend relative to a plain single-threaded
   PyAV seek-and-decode reference (seek to the keyframe before the clip, decode to its last
   frame, convert the kept frames to RGB).
2. Exactness against ``ffmpeg -i VIDEO %06d.png``: on a rotated, a variable-frame-rate (with
   gaps), an open-GOP (MPEG-4 part 2 with leading B-frames) and an edit-list file, every
   backend's frames must show the same pattern numbers as ffmpeg's images (AG numbering via
   ``ffmpeg_image_frames``) and the same displayed size; a backend that refuses a file (and
   so falls back under ``auto``) is reported as "refused".

    python bench/video_backends.py --videos 4 --seconds 20 --clips 24
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from videos_util import (read_pattern, write_pattern_video,  # noqa: E402
                         write_timed_pattern_video)

from sgfb.data.ffmpeg_numbering import ffmpeg_image_frames  # noqa: E402
from sgfb.data.video import VideoDecodeError, open_video  # noqa: E402

BACKENDS = ("pyav", "torchcodec", "decord")


def make_video(path: Path, seconds: int, fps: int = 30, size=(480, 360)) -> str:
    """Moving-texture H.264 with libx264's defaults (as most recordings are encoded)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (size[1] * 2, size[0] * 2, 3), dtype=np.uint8)
    base = cv2.GaussianBlur(base, (9, 9), 3)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "veryfast"}
        for i in range(seconds * fps):
            y, x = (3 * i) % size[1], (5 * i) % size[0]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(
                base[y:y + size[1], x:x + size[0]]), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return str(path)


def reference_clip(path: str, indices: np.ndarray) -> np.ndarray:
    """Plain PyAV: seek to the keyframe at or before the first frame's time, decode up to the
    last wanted frame, convert the wanted ones (constant-rate file: frame i at i / fps)."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate)
        tb = float(stream.time_base)
        first = int(round(indices[0] / rate / tb))
        container.seek(first, stream=stream, backward=True, any_frame=False)
        wanted = {int(round(i / rate / tb)): k for k, i in enumerate(indices)}
        last = max(wanted)
        out: Dict[int, np.ndarray] = {}
        for frame in container.decode(stream):
            if frame.pts in wanted:
                out[wanted[frame.pts]] = frame.to_ndarray(format="rgb24")
            if frame.pts >= last:
                break
    return np.stack([out[k] for k in range(len(indices))])


def cpu_time(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def speed(videos: List[str], clips: List[Tuple[int, np.ndarray]]) -> Dict[str, float]:
    """CPU-s per clip; each clip read by a fresh reader (as a data-loader item does)."""
    reference_clip(*[(videos[v], ix) for v, ix in clips[:1]][0])
    seconds = {"reference": cpu_time(lambda: [reference_clip(videos[v], ix) for v, ix in clips])}
    for backend in BACKENDS:
        def run(some=clips) -> None:
            for v, ix in some:
                with open_video(videos[v], backend) as reader:
                    reader.get_frames(ix)
        try:
            run(clips[:1])  # load the backend's libraries outside the timing
            seconds[backend] = cpu_time(run)
        except ImportError as err:
            print(f"  {backend}: unavailable ({err})")
    return {k: v / len(clips) for k, v in seconds.items()}


def exactness_files(root: Path, ffmpeg: str) -> Dict[str, str]:
    source = write_pattern_video(root / "src.mp4", 60, 25)
    files = {"rotated (90)": str(root / "rotated.mp4"), "edit list": str(root / "editlist.mp4")}
    subprocess.run([ffmpeg, "-v", "error", "-i", source, "-c", "copy", "-metadata:s:v:0",
                    "rotate=90", files["rotated (90)"]], check=True)
    subprocess.run([ffmpeg, "-v", "error", "-ss", "1.0", "-i", source, "-c", "copy",
                    files["edit list"]], check=True)
    files["VFR with gaps"] = write_timed_pattern_video(
        root / "vfr.mp4", [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 20, 21, 22, 23, 40, 41, 42])
    files["open GOP (mpeg4 B)"] = write_pattern_video(root / "opengop.mp4", 60, 25,
                                                      codec="mpeg4")
    return files


def exactness(files: Dict[str, str], ffmpeg: str, scratch: Path) -> Dict[str, Dict[str, str]]:
    table: Dict[str, Dict[str, str]] = {}
    for name, path in files.items():
        out = scratch / f"png-{len(table)}"
        out.mkdir()
        subprocess.run([ffmpeg, "-v", "error", "-i", path, str(out / "%06d.png")], check=True)
        pngs = sorted(out.glob("*.png"))
        theirs = [cv2.imread(str(p)) for p in pngs]
        k = 1 if name.startswith("rotated") else 0
        expected = [read_pattern(np.rot90(im, -k)) for im in theirs]
        row: Dict[str, str] = {}
        for backend in BACKENDS:
            try:
                with open_video(path, backend) as reader:
                    images = ffmpeg_image_frames(reader.index)
                    frames = reader.get_frames(images)
            except ImportError:
                row[backend] = "unavailable"
                continue
            except VideoDecodeError:
                row[backend] = "refused"
                continue
            same_size = frames.shape[1:3] == theirs[0].shape[:2]
            ours = [read_pattern(np.rot90(f, -k)) for f in frames]
            row[backend] = "exact" if same_size and ours == expected else "WRONG"
        table[name] = row
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--stride", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        root = Path(tmp)
        videos = [make_video(root / f"v{i}.mp4", args.seconds) for i in range(args.videos)]
        total = args.seconds * 30
        span = (args.frames - 1) * args.stride + 1
        rng = np.random.default_rng(args.seed)
        clips = [(int(rng.integers(len(videos))),
                  int(rng.integers(0, total - span)) + args.stride * np.arange(args.frames))
                 for _ in range(args.clips)]
        per_clip = speed(videos, clips)
        print(f"speed: {args.clips} clips of {args.frames}x{args.stride} from {args.videos} "
              f"videos of {args.seconds} s (480x360, 30 fps, libx264 defaults), "
              f"{os.cpu_count()} CPUs")
        ref = per_clip["reference"]
        for name, value in per_clip.items():
            print(f"  {name:11s} {value * 1000:8.1f} CPU-ms per clip  {value / ref:5.2f}x "
                  f"plain PyAV seek-and-decode")
        if ffmpeg is None:
            print("exactness: ffmpeg not installed, skipped")
            return
        table = exactness(exactness_files(root, ffmpeg), ffmpeg, root)
        print("exactness vs ffmpeg -i VIDEO %06d.png (autorotate):")
        print("  " + " " * 20 + "".join(f"{b:>12s}" for b in BACKENDS))
        for name, row in table.items():
            print(f"  {name:20s}" + "".join(f"{row[b]:>12s}" for b in BACKENDS))


if __name__ == "__main__":
    main()
