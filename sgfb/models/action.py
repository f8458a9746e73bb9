"""The action model of stage 2 (Action Genome paper §4.2, §5.1): a video backbone's pooled
clip feature S, fused with the scene-graph bank window F_SG by a feature-bank operator, then a
linear classifier (:class:`~sgfb.feature_bank.fbo.SGFBHead`); or the bank alone
(:class:`~sgfb.feature_bank.fbo.BankOnlyClassifier`) for users with graphs but no videos.

Inputs: clips ``[B, 3, T, H, W]``: float, normalised as the backbone's ``preprocessing``
says, or uint8 RGB crops, which the model normalises itself on its device with the same
``mean`` / ``std`` (``data.normalize_on_device``: the loader then spends no CPU on the float
conversion; :func:`~sgfb.data.clip_transforms.normalize_clips`); bank ``[B, S, D]`` float,
mask ``[B, S]`` bool. Output: logits ``[B, classes]`` (sigmoid + BCE).
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import nn

from sgfb.backbone.build import build_backbone
from sgfb.backbone.config import BackboneConfig
from sgfb.data.clip_transforms import DEFAULT_MEAN, DEFAULT_STD, normalize_clips
from sgfb.feature_bank.fbo import BankOnlyClassifier, SGFBHead, build_fbo
from sgfb.structures.confidence import feature_dim
from sgfb.utils.checkpoint import checkpoint_format
from sgfb.utils.config import apply_mapping

#: ``kind`` of the checkpoints ``tools/train_sgfb.py`` writes.
CHECKPOINT_FORMAT = "sgfb.action/1"


class ActionModel(nn.Module):
    """``mean`` / ``std``: the backbone's input normalisation (of RGB in [0, 1]), applied
    here to uint8 clips (float clips are taken as already normalised)."""

    def __init__(self, backbone: Optional[nn.Module], head: nn.Module,
                 mean: Sequence[float] = DEFAULT_MEAN,
                 std: Sequence[float] = DEFAULT_STD) -> None:
        super().__init__()
        if backbone is None and not isinstance(head, BankOnlyClassifier):
            raise ValueError("a model without a backbone needs the bank-only head")
        self.backbone = backbone
        self.head = head
        self.backbone_frozen = False
        self.mean = tuple(float(v) for v in mean)
        self.std = tuple(float(v) for v in std)

    def freeze_backbone(self) -> None:
        """The second stage of the two-stage schedule (LFB §4): the backbone stays fixed, in
        eval mode (batch-norm statistics included), and only the head trains."""
        if self.backbone is None:
            return
        self.backbone_frozen = True
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        self.backbone.eval()

    def train(self, mode: bool = True) -> "ActionModel":
        super().train(mode)
        if self.backbone_frozen and self.backbone is not None:
            self.backbone.eval()
        return self

    def normalize_input(self, clips: torch.Tensor) -> torch.Tensor:
        """uint8 clips ``[B, 3, T, H, W]`` -> float32 ``(x / 255 - mean) / std`` on their
        device (equal to the loader's own normalisation); float clips unchanged."""
        if clips.dtype == torch.uint8:
            return normalize_clips(clips, self.mean, self.std)
        return clips

    def clip_features(self, clips: torch.Tensor) -> torch.Tensor:
        clips = self.normalize_input(clips)
        if self.backbone_frozen:
            with torch.no_grad():
                return self.backbone(clips)
        return self.backbone(clips)

    def forward(self, clips: Optional[torch.Tensor] = None, bank: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None,
                features: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``features``: the clips' backbone features ``[B, D]`` already computed (a frozen
        backbone's, :mod:`sgfb.training.clip_cache`), given instead of ``clips``."""
        if isinstance(self.head, BankOnlyClassifier):
            if bank is None or mask is None:
                raise ValueError("the bank-only model needs bank and mask")
            return self.head(bank, mask)
        if features is None:
            if clips is None:
                raise ValueError("this model needs video clips (or their features)")
            features = self.clip_features(clips)
        return self.head(features, bank, mask)


def build_action_model(backbone: BackboneConfig, bank_layout: str, num_classes: int,
                       fbo: str = "nl", dropout: float = 0.3) -> ActionModel:
    """The backbone ``backbone`` describes and an SGFB head fusing its clip feature with the
    bank window (``fbo`` ``mean`` / ``max`` / ``nl``; ``none``: the backbone alone)."""
    net = build_backbone(backbone)
    operator, fbo_dim = build_fbo(fbo, net.out_dim, feature_dim(bank_layout))
    head = SGFBHead(net.out_dim, num_classes, operator, fbo_dim, dropout=dropout)
    return ActionModel(net, head, backbone.mean, backbone.std)


def action_model_from_checkpoint(state: Mapping[str, Any], path: str
                                 ) -> Tuple[ActionModel, List[str]]:
    """The model of an action checkpoint (its stored model and bank settings; weights
    loaded) and its class names. A two-stage run's first stage (backbone-only head) carries
    the same format; ``bank.fbo`` says which head it has."""
    if checkpoint_format(state) != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: checkpoint format {checkpoint_format(state)!r}, "
                         f"expected {CHECKPOINT_FORMAT}")
    config: Dict[str, Any] = state["config"]
    model_cfg, data_cfg = config.get("model", {}), config.get("data", {})
    backbone = apply_mapping(BackboneConfig(), model_cfg.get("backbone", {}))
    backbone.weights = ""   # the checkpoint holds the weights
    class_names = list(state["class_names"])
    fbo = model_cfg.get("fbo", "nl") if state["bank"]["fbo"] else "none"
    model = build_action_model(backbone, data_cfg.get("bank_layout", "paper"), len(class_names),
                               fbo=fbo, dropout=float(model_cfg.get("dropout", 0.3)))
    model.load_state_dict(state["model"])
    return model, class_names
