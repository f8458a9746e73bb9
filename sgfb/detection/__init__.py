"""Object detection for stage 1 (torchvision Faster R-CNN, R101-FPN by default; Action Genome
paper §4.1). Labels are AG object indices (person = 0 .. 35) everywhere outside the wrapped
torchvision model; boxes are xyxy pixels of the original frame.

- :mod:`.config`: :class:`DetectorConfig`, :func:`small_config`;
- :mod:`.detector`: :class:`SGDetector`; :mod:`.build`: :func:`build_detector`;
- :mod:`.detections`: :class:`Detections` (one frame's output);
- :mod:`.features`: :class:`ImageFeatures` (the contract with the predicate head);
- :mod:`.dataset`: :class:`DetectionFrames`, :func:`collate`;
- :mod:`.convert`: torchvision weight conversion, :func:`load_detector_weights`;
- :mod:`.names`: the weight formats (``FORMATS``), without torch.

Names are imported lazily, so ``sgfb.detection.config`` and ``.names`` stay cheap (no torch).
"""
from __future__ import annotations

from sgfb.utils.lazy import lazy_exports

_EXPORTS = {
    "DetectorConfig": "config", "small_config": "config",
    "build_detector": "build", "convert_weights": "build",
    "load_detector_weights": "convert",
    "DetectionFrames": "dataset", "collate": "dataset",
    "Detections": "detections",
    "SGDetector": "detector",
    "ImageFeatures": "features",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
