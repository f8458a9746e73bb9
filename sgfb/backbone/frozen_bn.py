"""Frozen batch normalisation for 3D feature maps.

``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`` with all four tensors
stored as buffers: no trainable parameters, and the statistics never move, in train mode or
eval mode. Its state-dict keys are BatchNorm3d's (``weight``, ``bias``, ``running_mean``,
``running_var``) less ``num_batches_tracked``, which is accepted and ignored when loading, so
a BatchNorm3d checkpoint loads into a frozen model unchanged.
"""
from __future__ import annotations

import torch
from torch import nn


class FrozenBatchNorm3d(nn.Module):
    """BatchNorm3d with fixed affine transform from its stored statistics; input ``[B, C, T, H, W]``.

    ``momentum`` is accepted (and ignored) so the class can stand in wherever a builder calls
    ``norm(num_features=..., eps=..., momentum=...)``.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = None) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * torch.rsqrt(self.running_var + self.eps)
        shift = self.bias - self.running_mean * scale
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return x * scale.reshape(shape).to(x.dtype) + shift.reshape(shape).to(x.dtype)

    @classmethod
    def convert(cls, module: nn.Module) -> nn.Module:
        """Replace every ``nn.BatchNorm3d`` under ``module`` (or ``module`` itself) by a frozen
        copy of its current statistics and affine; returns the (possibly new) module."""
        if isinstance(module, nn.BatchNorm3d):
            frozen = cls(module.num_features, module.eps)
            with torch.no_grad():
                if module.affine:
                    frozen.weight.copy_(module.weight)
                    frozen.bias.copy_(module.bias)
                if module.running_mean is not None:
                    frozen.running_mean.copy_(module.running_mean)
                    frozen.running_var.copy_(module.running_var)
            for attr in ("block_final_bn",):  # keep init flags set by pytorchvideo builders
                if hasattr(module, attr):
                    setattr(frozen, attr, getattr(module, attr))
            return frozen
        for name, child in module.named_children():
            new = cls.convert(child)
            if new is not child:
                setattr(module, name, new)
        return module

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"
