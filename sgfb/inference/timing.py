"""Per-stage wall-clock accounting for the inference pipeline (``bench/infer.py`` prints it):
decode, detection, relations, bank, action model, annotated video. On CUDA each measurement
synchronises, so asynchronous kernels are charged to the stage that launched them."""
from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Dict, Iterator

import torch

STAGES = ("decode", "detection", "relations", "bank", "action", "annotate")


class StageTimer:
    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.cuda = torch.device(device).type == "cuda"

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.cuda:
                torch.cuda.synchronize()
            self.seconds[name] += time.perf_counter() - start

    def merge(self, other: "StageTimer") -> None:
        for k, v in other.seconds.items():
            self.seconds[k] += v

    def as_dict(self) -> Dict[str, float]:
        return {k: float(self.seconds.get(k, 0.0)) for k in STAGES}


class TimedDetector:
    """The detector as the predictor sees it (``features``/``detect``/``classify``), with its
    time charged to ``detection``."""

    def __init__(self, detector: Any, timer: StageTimer) -> None:
        self.detector, self.timer = detector, timer

    def features(self, images):
        with self.timer.stage("detection"):
            return self.detector.features(images)

    def detect(self, features):
        with self.timer.stage("detection"):
            return self.detector.detect(features)

    def classify(self, features, boxes):
        with self.timer.stage("detection"):
            return self.detector.classify(features, boxes)


class TimedHead(torch.nn.Module):
    """The predicate head with its time charged to ``relations``."""

    def __init__(self, head: torch.nn.Module, timer: StageTimer) -> None:
        super().__init__()
        self.head, self.timer = head, timer

    def forward(self, features, pairs):
        with self.timer.stage("relations"):
            return self.head(features, pairs)
