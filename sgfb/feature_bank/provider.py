"""Bank windows for the clip dataset: ``(video_id, centre time) -> (bank [S, D], mask [S])``.

Reads the per-video bank files of a directory (``extract_banks`` writes them), keeps the
ones it has read in memory (875 floats a frame: a whole Charades split fits easily), and
answers window queries (:func:`sgfb.feature_bank.window.query_window`). A video without a
bank file (no annotated or predicted frame) gets an empty window, all mask False, which every
FBO treats as "no context"; :meth:`BankStore.missing` lists such videos so runs can report them.
"""
from __future__ import annotations

import math
import os
from typing import Dict, Iterable, List, Tuple

import numpy as np

from sgfb.feature_bank.bank import VideoBank, bank_path, load_bank
from sgfb.structures.confidence import feature_dim
from sgfb.feature_bank.window import query_window


class BankStore:
    def __init__(self, directory: str, window: float = math.inf, slots: int = 32,
                 layout: str = "paper") -> None:
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"feature-bank directory not found: {directory}")
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.directory, self.window, self.slots, self.layout = directory, float(window), int(slots), layout
        self.dim = feature_dim(layout)
        self._banks: Dict[str, VideoBank] = {}

    def bank(self, video_id: str) -> VideoBank | None:
        if video_id not in self._banks:
            path = bank_path(self.directory, video_id)
            if not os.path.exists(path):
                return None
            bank = load_bank(path)
            if bank.layout != self.layout:
                raise ValueError(f"{path}: bank layout {bank.layout!r}, expected {self.layout!r}")
            self._banks[video_id] = bank
        return self._banks[video_id]

    def missing(self, video_ids: Iterable[str]) -> List[str]:
        return [v for v in video_ids if not os.path.exists(bank_path(self.directory, v))]

    def __call__(self, video_id: str, center: float) -> Tuple[np.ndarray, np.ndarray]:
        bank = self.bank(video_id)
        if bank is None or len(bank) == 0:
            return np.zeros((self.slots, self.dim), np.float32), np.zeros(self.slots, bool)
        return query_window(bank.times, bank.features, center, self.window, self.slots)
