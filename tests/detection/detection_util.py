"""Helpers of the detector tests: tiny detectors that run in a fraction of a second on CPU."""
from __future__ import annotations

import torch

from sgfb.detection.config import DetectorConfig, small_config
from sgfb.detection.build import build_detector
from sgfb.detection.detector import SGDetector


def tiny_config(**overrides) -> DetectorConfig:
    """The small detector at tiny image sizes (frames of about 64x80 are kept as they are)."""
    values = dict(min_size=64, max_size=96, rpn_pre_nms_top_n_test=200,
                  rpn_post_nms_top_n_test=60, rpn_pre_nms_top_n_train=200,
                  rpn_post_nms_top_n_train=60, representation_size=64)
    values.update(overrides)
    return small_config(**values)


def tiny_detector(seed: int = 0, **overrides) -> SGDetector:
    torch.manual_seed(seed)
    return build_detector(tiny_config(**overrides))
