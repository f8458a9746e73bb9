"""Detector weights: converting torchvision state dicts and loading our checkpoints.

No network at run time (DESIGN.md "Decisions"): pretrained weights come from files the user
names. Two source formats, read with ``torch.load(weights_only=True)``:

- ``coco``: a torchvision Faster R-CNN state dict (``fasterrcnn_resnet50_fpn`` keys:
  ``backbone.body.*``, ``backbone.fpn.*``, ``rpn.*``, ``roi_heads.box_head.*``). Everything
  is kept except the class-specific ``roi_heads.box_predictor.*`` (91 COCO classes), which is
  left at its initialisation for the 37 AG outputs (Action Genome paper §4.1).
- ``imagenet``: a torchvision ResNet classification state dict (``conv1.weight``,
  ``layer1.0.conv1.weight``, ...) -> ``backbone.body.*``; the classifier ``fc.*`` is dropped.

The output is a checkpoint (:func:`sgfb.utils.checkpoint.save_checkpoint`) holding the
converted tensors under ``"model"`` (keys of :class:`SGDetector`), the detector config, the AG
object vocabulary, the preprocessing and the list of keys deliberately left out
(``"missing"``), so :func:`load_detector_weights` can tell an intended partial checkpoint
from a wrong one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from torch import nn

from sgfb.structures.vocab import AG_OBJECTS
from sgfb.detection.config import CAFFE_BGR_MEAN, IMAGE_MEAN, IMAGE_STD, DetectorConfig
from sgfb.detection.labels import LABEL_OFFSET
from sgfb.detection.names import FORMATS
from sgfb.utils.checkpoint import checkpoint_format, load_checkpoint

CHECKPOINT_FORMAT = "sgfb.detector/1"
#: Prefix of the wrapped torchvision model inside :class:`SGDetector`.
MODEL_PREFIX = "model."
StateDict = Dict[str, torch.Tensor]


@dataclass
class ConversionReport:
    """What a conversion did. ``kept``: target keys filled; ``dropped``: source key -> reason;
    ``missing``: target keys left at their initialisation."""

    source: str
    format: str
    kept: List[str] = field(default_factory=list)
    dropped: Dict[str, str] = field(default_factory=dict)
    missing: List[str] = field(default_factory=list)

    def summary(self) -> str:
        reasons: Dict[str, int] = {}
        for reason in self.dropped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        lines = [f"{self.source} ({self.format}): {len(self.kept)} tensors kept, "
                 f"{len(self.dropped)} dropped, {len(self.missing)} left at initialisation"]
        lines += [f"  dropped {n}: {reason}" for reason, n in sorted(reasons.items())]
        if self.missing:
            shown = ", ".join(self.missing[:8]) + (" ..." if len(self.missing) > 8 else "")
            lines.append(f"  missing: {shown}")
        return "\n".join(lines)


# ---------------------------------------------------------------------- reading sources
def read_state_dict(path: str) -> StateDict:
    """A ``{name: tensor}`` state dict from ``path`` (``weights_only=True``); a dict wrapping it
    under ``"model"`` or ``"state_dict"`` is unwrapped. Errors name the file."""
    state: Any = load_checkpoint(path)
    for wrapper in ("model", "state_dict"):
        if isinstance(state.get(wrapper), dict):
            state = state[wrapper]
            break
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f"{path}: not a state dict of tensors (e.g. entry {bad[0]!r} is "
                         f"{type(state[bad[0]]).__name__})")
    return dict(state)


def guess_format(state: StateDict, source: str = "<state dict>") -> str:
    """``"coco"`` for torchvision detection keys, ``"imagenet"`` for ResNet classifier keys."""
    if any(k.startswith("backbone.body.") for k in state):
        return "coco"
    if "conv1.weight" in state and any(k.startswith("layer1.") for k in state):
        return "imagenet"
    raise ValueError(f"{source}: cannot tell the weight format from its keys (e.g. "
                     f"{sorted(state)[:3]}); expected torchvision Faster R-CNN keys "
                     "('backbone.body.*') or ResNet keys ('conv1.weight', 'layer1.*')")


def _coco_name(key: str) -> Tuple[Optional[str], str]:
    if key.startswith("roi_heads.box_predictor."):
        return None, "class-specific box predictor (COCO classes)"
    return MODEL_PREFIX + key, ""


def _imagenet_name(key: str) -> Tuple[Optional[str], str]:
    if key.startswith("fc."):
        return None, "ImageNet classifier"
    return MODEL_PREFIX + "backbone.body." + key, ""


NAME_MAPS: Dict[str, Callable[[str], Tuple[Optional[str], str]]] = {
    "coco": _coco_name,
    "imagenet": _imagenet_name,
}


# ---------------------------------------------------------------------- conversion
def convert_state_dict(source: StateDict, fmt: str, target: StateDict,
                       source_name: str = "<state dict>") -> Tuple[StateDict, ConversionReport]:
    """Map ``source`` tensors onto the keys of ``target`` (a detector's state dict, only
    names and shapes are read). Returns the converted tensors and the report; a shape
    disagreement raises ``ValueError`` listing every mismatched key."""
    if fmt == "auto":
        fmt = guess_format(source, source_name)
    if fmt not in NAME_MAPS:
        raise ValueError(f"unknown weight format {fmt!r}; choose from {', '.join(FORMATS)}")
    report = ConversionReport(source=source_name, format=fmt)
    converted: StateDict = {}
    mismatched: List[str] = []
    for key, tensor in source.items():
        name, reason = NAME_MAPS[fmt](key)
        if name is None:
            report.dropped[key] = reason
        elif name not in target and key.endswith(".num_batches_tracked"):
            report.dropped[key] = "BatchNorm step counter (FrozenBatchNorm keeps none)"
        elif name not in target:
            report.dropped[key] = "no such tensor in this detector"
        elif tuple(target[name].shape) != tuple(tensor.shape):
            mismatched.append(f"{key} {tuple(tensor.shape)} -> {name} {tuple(target[name].shape)}")
        else:
            converted[name] = tensor.detach().clone().to(target[name].dtype)
            report.kept.append(name)
    if mismatched:
        raise ValueError(f"{source_name}: {len(mismatched)} tensors disagree in shape with the "
                         "detector (wrong backbone or representation_size?):\n  "
                         + "\n  ".join(mismatched))
    report.missing = [k for k in target if k not in converted]
    return converted, report


def checkpoint_state(model_state: StateDict, cfg: DetectorConfig, missing: List[str],
                     extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The dict saved as a detector checkpoint (DESIGN.md "Contracts": weights, config,
    vocabulary and preprocessing travel together)."""
    state: Dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "model": model_state,
        "missing": list(missing),
        "config": cfg.to_dict(),
        "objects": list(AG_OBJECTS),
        "label_offset": LABEL_OFFSET,
        "preprocessing": {
            "input": "RGB float [3, H, W] in 0..1",
            "pixel_format": cfg.pixel_format,
            "image_mean": list(IMAGE_MEAN) if cfg.pixel_format == "imagenet" else list(CAFFE_BGR_MEAN),
            "image_std": list(IMAGE_STD) if cfg.pixel_format == "imagenet" else [1.0, 1.0, 1.0],
            "min_size": cfg.min_size,
            "max_size": cfg.max_size,
        },
    }
    state.update(extra or {})
    return state


# ---------------------------------------------------------------------- loading
def load_detector_weights(detector: nn.Module, path: str) -> List[str]:
    """Load a detector checkpoint into ``detector``; returns the keys left at their
    initialisation (those the checkpoint declares missing).

    Raises ``ValueError`` naming the file and listing the offending keys when tensors have
    another shape, are unknown to this detector, or are absent without being declared
    missing (e.g. a checkpoint of another backbone).
    """
    state = load_checkpoint(path)
    if not isinstance(state.get("model"), dict) or checkpoint_format(state) != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a detector checkpoint ({CHECKPOINT_FORMAT}); convert "
                         "torchvision weights first with tools/convert_detector_weights.py")
    weights: StateDict = state["model"]
    own = detector.state_dict()
    declared = set(state.get("missing", []))
    problems: List[str] = []
    problems += [f"unexpected {k}" for k in weights if k not in own]
    problems += [f"shape {k}: file {tuple(v.shape)}, detector {tuple(own[k].shape)}"
                 for k, v in weights.items() if k in own and v.shape != own[k].shape]
    problems += [f"missing {k}" for k in own if k not in weights and k not in declared]
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20
                                 else [])
        raise ValueError(f"{path}: weights do not fit this detector ({len(problems)} "
                         "mismatched keys; was it made for another config?):\n  "
                         + "\n  ".join(shown))
    detector.load_state_dict(weights, strict=False)
    return sorted(k for k in own if k not in weights)
