"""One frame's detections: what stage 1 hands to the predicate head in SGDet mode
(Action Genome paper §4.1: the scene-graph predictor outputs objects with confidences ``s_o``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from sgfb.structures.vocab import AG_OBJECTS


@dataclass
class Detections:
    """Detections of one frame, best score first.

    boxes: ``[K, 4]`` float xyxy pixels of the original frame.
    labels: ``[K]`` int64 AG object indices (person = 0 .. 35).
    scores: ``[K]`` float, softmax probability of ``labels`` among all 37 outputs
        (background included), exactly torchvision's detection score; this is ``s_o``.
    class_scores: ``[K, 36]`` float, the box's distribution over the AG classes (background
        dropped, renormalised; :func:`sgfb.detection.labels.object_probabilities`).
    features: ``[K, D]`` float, box-head features (``D`` = representation_size) of the
        proposal each detection was regressed from: the features its class was scored on.
    keep: ``[K]`` int64, index of that proposal among the frame's scored proposals (one
        proposal can yield detections of several classes, so indices may repeat).
    """

    boxes: torch.Tensor
    labels: torch.Tensor
    scores: torch.Tensor
    class_scores: torch.Tensor
    features: torch.Tensor
    keep: torch.Tensor

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    @classmethod
    def empty(cls, feature_dim: int, device: torch.device = torch.device("cpu"),
              dtype: torch.dtype = torch.float32) -> "Detections":
        """A frame where nothing was detected: every tensor with ``K = 0`` rows."""
        return cls(
            boxes=torch.zeros((0, 4), dtype=dtype, device=device),
            labels=torch.zeros(0, dtype=torch.int64, device=device),
            scores=torch.zeros(0, dtype=dtype, device=device),
            class_scores=torch.zeros((0, len(AG_OBJECTS)), dtype=dtype, device=device),
            features=torch.zeros((0, feature_dim), dtype=dtype, device=device),
            keep=torch.zeros(0, dtype=torch.int64, device=device),
        )

    def to(self, device: torch.device) -> "Detections":
        return Detections(*(getattr(self, f).to(device) for f in
                            ("boxes", "labels", "scores", "class_scores", "features", "keep")))
