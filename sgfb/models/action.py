"""The action model of stage 2 (Action Genome paper §4.2, §5.1): a video backbone's pooled
clip feature S, fused with the scene-graph bank window F_SG by a feature-bank operator, then a
linear classifier (:class:`~sgfb.feature_bank.fbo.SGFBHead`); or the bank alone
(:class:`~sgfb.feature_bank.fbo.BankOnlyClassifier`) for users with graphs but no videos.

Inputs: clips ``[B, 3, T, H, W]`` (normalised as the backbone's ``preprocessing`` says), bank
``[B, S, D]`` float, mask ``[B, S]`` bool. Output: logits ``[B, classes]`` (sigmoid + BCE).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from sgfb.feature_bank.fbo import BankOnlyClassifier


class ActionModel(nn.Module):
    def __init__(self, backbone: Optional[nn.Module], head: nn.Module) -> None:
        super().__init__()
        if backbone is None and not isinstance(head, BankOnlyClassifier):
            raise ValueError("a model without a backbone needs the bank-only head")
        self.backbone = backbone
        self.head = head
        self.backbone_frozen = False

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

    def clip_features(self, clips: torch.Tensor) -> torch.Tensor:
        if self.backbone_frozen:
            with torch.no_grad():
                return self.backbone(clips)
        return self.backbone(clips)

    def forward(self, clips: Optional[torch.Tensor] = None, bank: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if isinstance(self.head, BankOnlyClassifier):
            if bank is None or mask is None:
                raise ValueError("the bank-only model needs bank and mask")
            return self.head(bank, mask)
        if clips is None:
            raise ValueError("this model needs video clips")
        return self.head(self.clip_features(clips), bank, mask)
