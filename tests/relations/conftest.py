"""Hand-built inputs for the relation tests (no detector needed)."""
from __future__ import annotations

import math
from typing import Sequence, Tuple

import pytest
import torch

from sgfb.detection.features import ImageFeatures

STRIDES = {"0": 4, "1": 8, "2": 16, "3": 32, "pool": 64}


def make_features(original_sizes: Sequence[Tuple[int, int]], scale: float = 1.0,
                  channels: int = 8, seed: int = 0) -> ImageFeatures:
    """Random FPN-like maps for frames of ``(height, width)`` ``original_sizes`` resized by
    ``scale``; maps are ``[B, channels, ceil(H/s), ceil(W/s)]`` of the padded batch."""
    gen = torch.Generator().manual_seed(seed)
    resized = [(round(h * scale), round(w * scale)) for h, w in original_sizes]
    pad_h = max(h for h, _ in resized)
    pad_w = max(w for _, w in resized)
    maps = {name: torch.randn(len(resized), channels, math.ceil(pad_h / s), math.ceil(pad_w / s),
                              generator=gen)
            for name, s in STRIDES.items()}
    return ImageFeatures(maps=maps, image_sizes=resized, original_sizes=list(original_sizes),
                         scales=[scale] * len(resized))


@pytest.fixture
def features_factory():
    return make_features


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """These tensors are tiny: a second intra-op thread only costs time on a busy 2-core box."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
