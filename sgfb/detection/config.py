"""Configuration of the stage-1 object detector (Action Genome paper §4.1; DESIGN.md
"Decisions": torchvision Faster R-CNN with a ResNet-FPN backbone, R101-FPN by default).

:class:`DetectorConfig` holds plain values only (YAML-friendly, overridable with
``detector.key=value``); :func:`sgfb.detection.build.build_detector` is the one place that
turns it into modules. :func:`small_config` gives the values used for CPU tests and the
built-in 320x240 synthetic frames.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Tuple

from sgfb.structures.vocab import AG_OBJECTS

#: Backbone name in the config -> torchvision ResNet name given to ``resnet_fpn_backbone``.
BACKBONES: Dict[str, str] = {
    "resnet101": "resnet101",
    "resnet50": "resnet50",
    "small": "resnet18",
}
#: Normalisation layers of the ResNet body: ``frozen_bn`` (torchvision's FrozenBatchNorm2d,
#: right for pretrained weights) or ``bn`` (ordinary BatchNorm2d, for training from scratch).
NORM_LAYERS: Tuple[str, ...] = ("frozen_bn", "bn")
#: Per-channel normalisation of the RGB 0..1 input (ImageNet statistics, as the torchvision
#: backbones were trained with).
IMAGE_MEAN: Tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGE_STD: Tuple[float, float, float] = (0.229, 0.224, 0.225)
#: Input normalisations (``pixel_format``): ``imagenet`` (RGB 0..1, the statistics above,
#: torchvision's backbones) or ``caffe`` (detectron2's MSRA models: the frame as BGR 0..255
#: minus the BGR mean below, unit std).
PIXEL_FORMATS: Tuple[str, ...] = ("imagenet", "caffe")
CAFFE_BGR_MEAN: Tuple[float, float, float] = (103.530, 116.280, 123.675)


@dataclass
class DetectorConfig:
    """Faster R-CNN settings. Label convention: the model's label ``l`` is AG object index
    ``l - 1`` (0 = background), so ``num_classes`` = 36 AG classes + background = 37.

    Images: ``min_size``/``max_size`` of torchvision's resize (shorter side to ``min_size``
    unless the longer side would exceed ``max_size``). ``weights``: a local checkpoint written
    by :mod:`sgfb.detection.convert` or by training; empty = random initialisation.
    """

    backbone: str = "resnet101"
    num_classes: int = len(AG_OBJECTS) + 1
    min_size: int = 600
    max_size: int = 1000
    trainable_layers: int = 3
    norm_layer: str = "frozen_bn"
    score_thresh: float = 0.05
    nms_thresh: float = 0.5
    detections_per_img: int = 50
    representation_size: int = 1024
    fpn_channels: int = 256          # channels of every FPN level (torchvision's: 256)
    weights: str = ""
    # MSRA-style ResNet (detectron2's model zoo): the stride of a bottleneck sits in its first
    # 1x1 convolution, not in the 3x3 one (torchvision); and its input normalisation
    stride_in_1x1: bool = False
    pixel_format: str = "imagenet"
    # anchors: one size per FPN level ("0".."3", "pool"), the same aspect ratios everywhere
    anchor_sizes: Tuple[int, ...] = (32, 64, 128, 256, 512)
    aspect_ratios: Tuple[float, ...] = (0.5, 1.0, 2.0)
    # region proposal network
    rpn_pre_nms_top_n_train: int = 2000
    rpn_pre_nms_top_n_test: int = 1000
    rpn_post_nms_top_n_train: int = 2000
    rpn_post_nms_top_n_test: int = 1000
    rpn_batch_size_per_image: int = 256
    # box head training
    box_batch_size_per_image: int = 512

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field when a value is out of range."""
        if self.backbone not in BACKBONES:
            raise ValueError(f"detector.backbone={self.backbone!r}; choose from "
                             f"{', '.join(BACKBONES)}")
        if self.norm_layer not in NORM_LAYERS:
            raise ValueError(f"detector.norm_layer={self.norm_layer!r}; choose from "
                             f"{', '.join(NORM_LAYERS)}")
        if self.pixel_format not in PIXEL_FORMATS:
            raise ValueError(f"detector.pixel_format={self.pixel_format!r}; choose from "
                             f"{', '.join(PIXEL_FORMATS)}")
        if self.stride_in_1x1 and self.backbone == "small":
            raise ValueError("detector.stride_in_1x1 needs a bottleneck ResNet (resnet50 or "
                             "resnet101); the small backbone has no 1x1 convolutions")
        if self.num_classes != len(AG_OBJECTS) + 1:
            raise ValueError(f"detector.num_classes={self.num_classes}: the detector predicts "
                             f"the {len(AG_OBJECTS)} AG object classes plus background "
                             f"({len(AG_OBJECTS) + 1})")
        if not 0 <= self.trainable_layers <= 5:
            raise ValueError(f"detector.trainable_layers={self.trainable_layers}: must be 0..5")
        if len(self.anchor_sizes) != 5:
            raise ValueError(f"detector.anchor_sizes needs one size per FPN level (5), got "
                             f"{list(self.anchor_sizes)}")
        if not 0 < self.min_size <= self.max_size:
            raise ValueError(f"detector.min_size={self.min_size}, max_size={self.max_size}: "
                             "need 0 < min_size <= max_size")
        if not 0.0 <= self.score_thresh < 1.0 or not 0.0 < self.nms_thresh <= 1.0:
            raise ValueError(f"detector.score_thresh={self.score_thresh} must be in [0, 1) and "
                             f"detector.nms_thresh={self.nms_thresh} in (0, 1]")
        if self.fpn_channels < 1:
            raise ValueError(f"detector.fpn_channels={self.fpn_channels} must be positive")
        if self.detections_per_img < 1 or self.representation_size < 1:
            raise ValueError("detector.detections_per_img and detector.representation_size "
                             "must be positive")

    def to_dict(self) -> Dict[str, Any]:
        """Plain dict (lists for tuples), for checkpoints and printing."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "DetectorConfig":
        """Inverse of :meth:`to_dict`; unknown keys are errors listing the valid ones."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise KeyError(f"unknown detector config keys {unknown}; valid: {sorted(names)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def small_config(**overrides: Any) -> DetectorConfig:
    """A ResNet-18 FPN detector sized for 320x240 synthetic frames and CPU tests.

    Frames keep their size (``min_size`` 240, ``max_size`` 320), anchors are halved
    (16..256 px) for the small objects of such frames, the box head is 256-d, fewer proposals
    are kept, and the body uses trainable BatchNorm in all layers since it starts from random
    weights. ``overrides`` replace any field.
    """
    values: Dict[str, Any] = dict(
        backbone="small", min_size=240, max_size=320, trainable_layers=5, norm_layer="bn",
        representation_size=256, anchor_sizes=(16, 32, 64, 128, 256),
        rpn_pre_nms_top_n_train=600, rpn_pre_nms_top_n_test=300,
        rpn_post_nms_top_n_train=300, rpn_post_nms_top_n_test=100,
        rpn_batch_size_per_image=128, box_batch_size_per_image=128,
    )
    values.update(overrides)
    return DetectorConfig(**values)
