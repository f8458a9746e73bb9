"""3D video backbones for stage 2: the I3D ResNet-50/101 with non-local blocks that gives
SGFB its short-term clip feature (Action Genome paper §4.2, §5.1; Long-Term Feature Banks),
a tiny variant for CPU tests, frozen batch norm, and PySlowFast weight conversion.

    model = build_backbone(BackboneConfig(arch="i3d_nl_r101", weights="r101.pt"))
    clip_feature = model(clips)          # [B, 3, T, H, W] normalised -> [B, model.out_dim]

Names are imported lazily, so ``sgfb.backbone.config`` stays cheap (no torch/pytorchvideo).
"""
from __future__ import annotations

from sgfb.utils.lazy import lazy_exports

_EXPORTS = {
    "BackboneConfig": "config",
    "ARCHS": "archs", "ArchSpec": "archs", "VideoBackbone": "i3d", "build_backbone": "build",
    "FrozenBatchNorm3d": "frozen_bn",
    "CHECKPOINT_FORMAT": "convert", "BackboneWeightsError": "convert", "LoadReport": "convert",
    "convert_state_dict": "convert", "load_backbone": "build",
    "load_backbone_weights": "convert", "save_backbone_checkpoint": "convert",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
