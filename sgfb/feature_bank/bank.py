"""A video's scene-graph feature bank on disk: one ``.npz`` per video (Action Genome §4.2).

``times`` ``[K]`` float64 seconds (increasing) and ``features`` ``[K, D]`` float32 flattened
confidence matrices, plus the frame keys and the layout. Small (875 floats a frame), read
with ``allow_pickle=False``, written atomically.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np

from sgfb.utils.atomic_io import atomic_write
from sgfb.structures.confidence import feature_dim, frame_features
from sgfb.structures.scene_graph import SceneGraph

BANK_FORMAT = 1


@dataclass
class VideoBank:
    video_id: str
    times: np.ndarray        # float64 [K], seconds, increasing
    features: np.ndarray     # float32 [K, D]
    frame_keys: List[str]
    layout: str = "paper"

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, np.float64).reshape(-1)
        features = np.asarray(self.features, np.float32)
        self.features = (features.reshape(self.times.size, -1) if self.times.size
                         else features.reshape(0, feature_dim(self.layout)))
        if len(self.frame_keys) != self.times.size:
            raise ValueError(f"{self.video_id}: {len(self.frame_keys)} frame keys for "
                             f"{self.times.size} bank entries")
        if self.times.size and np.any(np.diff(self.times) < 0):
            raise ValueError(f"{self.video_id}: bank times must be increasing")
        if self.times.size and self.features.shape[1] != feature_dim(self.layout):
            raise ValueError(f"{self.video_id}: features of size {self.features.shape[1]}, the "
                             f"{self.layout!r} layout has {feature_dim(self.layout)}")

    def __len__(self) -> int:
        return int(self.times.size)


def bank_from_graphs(video_id: str, times: Sequence[float], graphs: Sequence[SceneGraph],
                     layout: str = "paper") -> VideoBank:
    """The bank of one video from its frames' graphs (any order; sorted by time here)."""
    order = np.argsort(np.asarray(times, np.float64), kind="stable")
    graphs = [graphs[i] for i in order]
    return VideoBank(video_id, np.asarray(times, np.float64)[order],
                     frame_features(graphs, layout),
                     [g.frame_key or f"#{i}" for i, g in zip(order, graphs)], layout)


def save_bank(path: str, bank: VideoBank) -> None:
    with atomic_write(path) as f:
        np.savez(f, format=np.array(BANK_FORMAT), video_id=np.array(bank.video_id),
                 times=bank.times, features=bank.features,
                 frame_keys=np.array(bank.frame_keys, dtype=np.str_),
                 layout=np.array(bank.layout))


def load_bank(path: str) -> VideoBank:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        version = int(data["format"])
        keys = data["frame_keys"].tolist() if data["frame_keys"].size else []
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path}: not a feature-bank file ({exc})") from exc
    if version != BANK_FORMAT:
        raise ValueError(f"{path}: bank format {version}, expected {BANK_FORMAT}")
    return VideoBank(str(data["video_id"]), data["times"], data["features"], keys,
                     str(data["layout"]))


def bank_path(directory: str, video_id: str) -> str:
    return os.path.join(directory, f"{video_id}.npz")
