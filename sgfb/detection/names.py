"""The detector choices a user names on a command line, importable without torch (so a tool's
``--help`` lists them without loading torchvision)."""
from __future__ import annotations

from typing import Tuple

#: Source formats of a torchvision weight file (:func:`sgfb.detection.convert.convert_state_dict`):
#: ``coco`` (a Faster R-CNN state dict), ``imagenet`` (a ResNet), ``auto`` (told apart by keys).
FORMATS: Tuple[str, ...] = ("auto", "coco", "imagenet")
