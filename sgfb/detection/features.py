"""The contract between the detector and the predicate head.

Both read the same feature maps: the detector pools them for its own boxes, the predicate
head pools them for subject, object and union boxes (RelDN §3; Action Genome paper §4.1), so
the backbone runs once per frame whatever the mode (PredCls, SGCls, SGDet).

Coordinates: boxes given to any stage are ``xyxy`` pixels of the *original* frame. The
detector resizes each frame before its backbone (torchvision's ``GeneralizedRCNNTransform``);
``scales[i]`` is (resized size / original size) of image ``i``, so ``to_resized`` maps original
boxes into the coordinates the feature maps were computed in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import torch


@dataclass
class ImageFeatures:
    """Feature maps of a batch of frames.

    maps: name -> ``[B, C, h, w]`` (FPN levels ``"0"``, ``"1"``, ..., ``"pool"``).
    image_sizes: ``(height, width)`` of each frame after resizing (before batch padding).
    original_sizes: ``(height, width)`` of each frame as given.
    scales: resized / original, per frame (the resize keeps the aspect ratio).
    """

    maps: Dict[str, torch.Tensor]
    image_sizes: List[Tuple[int, int]]
    original_sizes: List[Tuple[int, int]]
    scales: List[float]

    def __len__(self) -> int:
        return len(self.image_sizes)

    def to_resized(self, boxes: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        """Per-frame ``[K, 4]`` original-pixel boxes -> resized-frame coordinates."""
        if len(boxes) != len(self.scales):
            raise ValueError(f"{len(boxes)} box lists for {len(self.scales)} frames")
        return [b * s for b, s in zip(boxes, self.scales)]
