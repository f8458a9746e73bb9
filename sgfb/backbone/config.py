"""Backbone configuration (stage 2: the 3D CNN that gives SGFB its short-term clip feature S).

``arch`` picks the network (:data:`ARCHS` in :mod:`sgfb.backbone.archs`):

- ``i3d_nl_r50``  — I3D ResNet-50 with 5 non-local blocks (res3: 1, 3; res4: 1, 3, 5).
- ``i3d_nl_r101`` — I3D ResNet-101 with 5 non-local blocks (res3: 1, 3; res4: 6, 13, 20),
  the R101-I3D-NL of the Action Genome paper (§5.1) and of Long-Term Feature Banks.
- ``i3d_small``   — a tiny I3D (one block per stage, width 16, one non-local block) for CPU
  tests and synthetic runs; same interface, ``out_dim`` 512.

Clip layout and preprocessing (carried by every checkpoint): ``num_frames`` RGB frames taken
every ``sampling_rate`` native frames, values in [0, 1], normalised per channel with
``(x - mean) / std``, a ``crop_size`` x ``crop_size`` crop; the model sees ``[B, 3, T, H, W]``.
The mean/std 0.45/0.225 are PySlowFast's (and LFB's 114.75/57.375 on 0..255).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List


@dataclass
class BackboneConfig:
    arch: str = "i3d_nl_r50"          # i3d_nl_r50 | i3d_nl_r101 | i3d_small
    non_local: bool = True            # False: the same I3D without its non-local blocks
    # Non-local placement override: four lists of 0-based block indices (res2..res5) after
    # which a block is inserted; empty = the arch default. E.g. PySlowFast's
    # I3D_NLN_8x8_R101 puts res4's blocks at [1, 3, 5]: [[], [1, 3], [1, 3, 5], []].
    nonlocal_locations: List[List[int]] = field(default_factory=list)
    nonlocal_instantiation: str = "softmax"     # softmax | dot_product
    nonlocal_pool: List[int] = field(default_factory=lambda: [1, 2, 2])  # phi/g max-pool (T,H,W)
    frozen_bn: bool = False           # every BatchNorm3d becomes FrozenBatchNorm3d
    zero_init_final_bn: bool = True   # last BN of each residual branch starts at gamma = 0
    dropout: float = 0.0              # on the pooled clip feature (the SGFB head has its own)
    weights: str = ""                 # local file: PySlowFast checkpoint or sgfb.backbone/1
    num_frames: int = 32              # T of the input clip
    sampling_rate: int = 4            # native frames between two sampled frames
    crop_size: int = 224
    mean: List[float] = field(default_factory=lambda: [0.45, 0.45, 0.45])
    std: List[float] = field(default_factory=lambda: [0.225, 0.225, 0.225])

    def preprocessing(self) -> dict:
        """The clip sampling and normalisation a checkpoint carries (plain types only)."""
        return {
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
            "num_frames": int(self.num_frames),
            "sampling_rate": int(self.sampling_rate),
            "crop_size": int(self.crop_size),
            "value_range": "RGB in [0, 1], then (x - mean) / std",
            "layout": "[B, 3, T, H, W]",
        }
