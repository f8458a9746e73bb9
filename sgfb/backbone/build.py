"""Building backbones: the architecture a config names (``i3d.py``), with weights from a
file (``convert.py``) when the config or a checkpoint names one. The architecture and the
weight reader do not import each other; this module joins them."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from torch import nn

from sgfb.backbone.config import BackboneConfig
from sgfb.backbone.convert import (BackboneWeightsError, convert_state_dict, extract_state_dict,
                                   load_backbone_weights, match_state)
from sgfb.backbone.frozen_bn import FrozenBatchNorm3d
from sgfb.backbone.archs import arch_spec
from sgfb.backbone.i3d import VideoBackbone, resolve_nonlocal_locations, temporal_kernel_pattern
from sgfb.utils.checkpoint import load_checkpoint


def build_backbone(config: BackboneConfig) -> VideoBackbone:
    """The backbone ``config`` describes; weights from ``config.weights`` when set."""
    spec = arch_spec(config.arch)
    if len(config.nonlocal_pool) != 3:
        raise ValueError(f"nonlocal_pool must be 3 sizes (T, H, W), got {config.nonlocal_pool!r}")
    model = VideoBackbone(
        stage_depths=spec.stage_depths, width=spec.width,
        stem_temporal_kernel=spec.stem_temporal_kernel,
        temporal_kernels=temporal_kernel_pattern(spec.stage_depths, spec.temporal_basis),
        nonlocal_locations=resolve_nonlocal_locations(config, spec),
        temporal_pool=spec.temporal_pool,
        nonlocal_instantiation=config.nonlocal_instantiation,
        nonlocal_pool=[int(v) for v in config.nonlocal_pool],
        norm=FrozenBatchNorm3d if config.frozen_bn else nn.BatchNorm3d,
        zero_init_final_bn=config.zero_init_final_bn, dropout=config.dropout,
        arch=config.arch, preprocessing=config.preprocessing())
    if config.weights:
        load_backbone_weights(model, config.weights)
    return model


def load_backbone(path: str, **overrides: Any):
    """Rebuild the backbone an sgfb checkpoint describes (its stored config, with
    ``overrides`` such as ``frozen_bn=True``) and load its weights."""
    raw = load_checkpoint(path)
    stored = raw.get("config")
    if not isinstance(stored, Mapping):
        raise BackboneWeightsError(f"{path}: no backbone config stored (format "
                                   f"{raw.get('format', 'unknown')!r}); build the model from a "
                                   "config and use load_backbone_weights")
    names = {f.name for f in dataclasses.fields(BackboneConfig)}
    unknown = sorted(set(stored) - names) + sorted(set(overrides) - names)
    if unknown:
        raise BackboneWeightsError(f"{path}: unknown backbone config keys {unknown}")
    config = BackboneConfig(**{**stored, **overrides, "weights": ""})
    model = build_backbone(config)
    state = extract_state_dict(raw, path)
    converted, _, conversion = convert_state_dict(state, source=path)
    usable, report = match_state(model, converted, path, conversion)
    if not report.ok:
        raise BackboneWeightsError(f"{path}: stored weights do not fit the stored config: "
                                   + report.format())
    model.load_state_dict(usable, strict=False)
    return model
