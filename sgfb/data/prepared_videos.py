"""Training copies of a video dataset: short GOP, training resolution (``tools/prepare_videos.py``).

A training clip is a random window of a video. Decoding it costs the frames from the keyframe
before the clip up to its last frame, at the file's resolution; Charades originals have
keyframes several seconds apart and larger frames than the 256-320 short side the clips are
resized to anyway (the long-term feature bank and PySlowFast pipelines train on pre-resized
Charades). A prepared copy is re-encoded with H.264 (libx264) with a keyframe every
``keyint`` frames (16-32) and its short side ``short_side`` (never enlarged), so a clip costs a
short pre-roll of small frames.

Frames keep their number and their time: the copy holds exactly the source's displayed frames
(as :mod:`sgfb.data.video` numbers them, rotation applied) with the source's presentation
timestamps, so frame indices, clip times and labels are unchanged. What changes (see
``docs/data.md``): a second lossy encoding, and the resize happens before the training
transform's own resize and crop.

Each video is written atomically (``atomic_path``), then recorded as one line of
``manifest.jsonl`` in the output folder: its name relative to the dataset folder, the source
path, size and modification time, the encode settings, frame count, size and bytes of the
copy. A copy is current when its line matches the source's size and modification time, the
settings, and the copy's size on disk; :class:`PreparedVideos` hands the loader only current
copies, and the tool re-encodes only what is not current (resumable).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Dict, Optional, Tuple

import av
import numpy as np

from sgfb.data.video import open_video
from sgfb.data.video_index import PathLike
from sgfb.utils.atomic_io import atomic_path

MANIFEST = "manifest.jsonl"


@dataclass(frozen=True)
class PrepareSettings:
    """Encode settings of a prepared copy (recorded in the manifest)."""

    short_side: int = 320
    keyint: int = 16
    crf: int = 20
    preset: str = "fast"
    bframes: int = 3
    fastdecode: bool = True
    codec: str = "libx264"
    # every run of B-frames is ``bframes`` long (x264 ``b-adapt=0``), so the references lie
    # every ``bframes + 1`` frames: a clip at a stride that is a multiple of it needs at
    # most one of each run, and the reader skips the others undecoded (adaptive placement
    # makes runs of 0-``bframes`` and more references to decode)
    fixed_bframes: bool = True

    def check(self) -> None:
        if self.short_side < 16 or self.short_side % 2:
            raise ValueError(f"short_side must be an even number >= 16, got {self.short_side}")
        if not 1 <= self.keyint <= 600:
            raise ValueError(f"keyint must be in 1..600, got {self.keyint}")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be in 0..51, got {self.crf}")
        if not 0 <= self.bframes <= 16:
            raise ValueError(f"bframes must be in 0..16, got {self.bframes}")


def prepared_size(width: int, height: int, short_side: int) -> Tuple[int, int]:
    """``(W, H)`` of the copy: the short side ``short_side`` (the source's when it is smaller:
    never enlarged), the long side scaled alike; both rounded to even numbers (4:2:0)."""
    short = min(width, height)
    scale = min(1.0, short_side / short)

    def even(x: float) -> int:
        return max(2, int(round(x / 2.0)) * 2)

    return even(width * scale), even(height * scale)


def source_stamp(path: PathLike) -> Tuple[int, int]:
    """``(size, mtime_ns)`` of a file."""
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns


def encode_prepared(source: str, target: str, settings: PrepareSettings) -> Dict[str, Any]:
    """Re-encode ``source`` to ``target`` (written atomically); returns its manifest entry
    without ``name``. Raises :class:`~sgfb.data.video.VideoDecodeError` for a damaged source."""
    settings.check()
    size, mtime = source_stamp(source)
    with open_video(source, "pyav", threads=False) as reader:
        index = reader.index
        width, height = prepared_size(reader.width, reader.height, settings.short_side)
        if index.pts is not None:
            time_base, pts = index.time_base, index.pts - index.pts[0]
        else:  # no timestamps: constant rate from the frame count
            time_base = 1 / Fraction(index.fps)
            pts = np.arange(index.num_frames, dtype=np.int64)
        with atomic_path(target) as tmp:
            with av.open(tmp, "w") as out:
                stream = out.add_stream(settings.codec, rate=Fraction(index.fps))
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                stream.time_base = time_base
                stream.codec_context.time_base = time_base
                stream.codec_context.thread_count = 1
                stream.options = {"crf": str(settings.crf), "preset": settings.preset,
                                  "g": str(settings.keyint),
                                  "keyint_min": str(settings.keyint),
                                  "sc_threshold": "0", "bf": str(settings.bframes),
                                  # B-frames nothing refers to: a reader skips them undecoded
                                  "x264-params": "b-pyramid=none" + (
                                      ":b-adapt=0" if settings.fixed_bframes else "")}
                if settings.fastdecode:  # CAVLC, no deblocking: cheaper to decode, larger
                    stream.options["tune"] = "fastdecode"
                frames = 0
                for i, rgb in reader.iter_frames(range(index.num_frames), (width, height)):
                    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                    frame.pts = int(pts[i])
                    frame.time_base = time_base
                    out.mux(stream.encode(frame))
                    frames += 1
                out.mux(stream.encode())
            written = os.path.getsize(tmp)
    return {"source": os.path.abspath(source), "source_size": size, "source_mtime_ns": mtime,
            "settings": asdict(settings), "frames": frames, "width": width, "height": height,
            "bytes": written}


def read_manifest(out_dir: str) -> Dict[str, Dict[str, Any]]:
    """``{name: entry}`` from ``out_dir/manifest.jsonl`` (the last line of a name wins; a
    line cut off by an interruption is ignored)."""
    path = os.path.join(out_dir, MANIFEST)
    entries: Dict[str, Dict[str, Any]] = {}
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                entries[entry["name"]] = entry
    return entries


def append_manifest(out_dir: str, entry: Dict[str, Any]) -> None:
    """Add one line (written with one ``write`` and flushed to disk)."""
    line = json.dumps(entry, sort_keys=True) + "\n"
    with open(os.path.join(out_dir, MANIFEST), "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def is_current(entry: Optional[Dict[str, Any]], source: str, target: str,
               settings: Optional[PrepareSettings] = None) -> bool:
    """The copy ``target`` matches the manifest ``entry``, the entry the source file as it is
    now, and (when given) the settings."""
    if entry is None:
        return False
    try:
        size, mtime = source_stamp(source)
        written = os.path.getsize(target)
    except OSError:
        return False
    if (entry.get("source_size"), entry.get("source_mtime_ns"), entry.get("bytes")) != \
            (size, mtime, written):
        return False
    return settings is None or entry.get("settings") == asdict(settings)


class PreparedVideos:
    """The current prepared copies of a dataset folder, for a loader.

    ``path(source, name)``: the copy of ``source`` (``name``: its path relative to the dataset
    folder, e.g. ``"46GP8.mp4"``) when it is current, else ``source``. The manifest is read
    once; each answer is remembered.
    """

    def __init__(self, out_dir: str) -> None:
        if not os.path.isfile(os.path.join(out_dir, MANIFEST)):
            raise FileNotFoundError(f"{out_dir}: no {MANIFEST} here; make the prepared copies "
                                    f"with tools/prepare_videos.py")
        self.out_dir = out_dir
        self.entries = read_manifest(out_dir)
        self._answers: Dict[str, str] = {}

    def path(self, source: str, name: str) -> str:
        found = self._answers.get(source)
        if found is None:
            target = os.path.join(self.out_dir, name)
            found = target if is_current(self.entries.get(name), source, target) else source
            self._answers[source] = found
        return found
