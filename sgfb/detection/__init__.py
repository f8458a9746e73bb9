"""Object detection for stage 1 (torchvision Faster R-CNN, R101-FPN by default; Action Genome
paper §4.1). Labels are AG object indices (person = 0 .. 35) everywhere outside the wrapped
torchvision model; boxes are xyxy pixels of the original frame.

- :mod:`.config`: :class:`DetectorConfig`, :func:`small_config`;
- :mod:`.detector`: :class:`SGDetector`; :mod:`.build`: :func:`build_detector`;
- :mod:`.detections`: :class:`Detections` (one frame's output);
- :mod:`.features`: :class:`ImageFeatures` (the contract with the predicate head);
- :mod:`.dataset`: :class:`DetectionFrames`, :func:`collate`;
- :mod:`.convert`: torchvision weight conversion, :func:`load_detector_weights`.
"""
from sgfb.detection.config import DetectorConfig, small_config
from sgfb.detection.build import build_detector, convert_weights
from sgfb.detection.convert import load_detector_weights
from sgfb.detection.dataset import DetectionFrames, collate
from sgfb.detection.detections import Detections
from sgfb.detection.detector import SGDetector
from sgfb.detection.features import ImageFeatures

__all__ = [
    "DetectorConfig", "small_config", "build_detector", "SGDetector", "Detections",
    "ImageFeatures", "DetectionFrames", "collate", "convert_weights", "load_detector_weights",
]
