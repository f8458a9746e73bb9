"""Building detectors: the architecture a config describes (``detector.py``) with weights
from a checkpoint (``convert.py``), and converting weight files for a config's detector. The
architecture and the weight reader do not import each other; this module joins them."""
from __future__ import annotations

import dataclasses

import torch

from sgfb.detection.config import DetectorConfig
from sgfb.detection.convert import (ConversionReport, StateDict, checkpoint_state,
                                    convert_state_dict, load_detector_weights, read_state_dict)
from sgfb.detection.detector import SGDetector, build_faster_rcnn
from sgfb.utils.checkpoint import save_checkpoint


def build_detector(cfg: DetectorConfig) -> SGDetector:
    """Build the detector of ``cfg``; load ``cfg.weights`` when set (a local checkpoint from
    :mod:`sgfb.detection.convert` or training; errors name the file)."""
    detector = SGDetector(build_faster_rcnn(cfg))
    if cfg.weights:
        load_detector_weights(detector, cfg.weights)
    return detector


def detector_state_shapes(cfg: DetectorConfig) -> StateDict:
    """The state dict of the detector ``cfg`` builds, on the meta device (names and shapes
    only: no memory, no initialisation cost)."""
    with torch.device("meta"):
        detector = SGDetector(build_faster_rcnn(dataclasses.replace(cfg, weights="")))
    return detector.state_dict()


def convert_weights(source_path: str, out_path: str, cfg: DetectorConfig,
                    fmt: str = "auto") -> ConversionReport:
    """Convert a torchvision weight file into a detector checkpoint for ``cfg``."""
    source = read_state_dict(source_path)
    converted, report = convert_state_dict(source, fmt, detector_state_shapes(cfg),
                                           source_name=source_path)
    save_checkpoint(out_path, checkpoint_state(
        converted, cfg, report.missing,
        extra={"converted_from": {"path": source_path, "format": report.format}}))
    return report
