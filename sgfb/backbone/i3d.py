"""I3D ResNet with non-local blocks: the 3D CNN of SGFB (Action Genome paper §4.2, §5.1),
following the Long-Term Feature Bank recipe (Wu et al. 2019) and Non-local Networks
(Wang et al. 2018), with the layer layout of PySlowFast's ``ResNet`` for ``MODEL.ARCH: i3d``.

Layout (``[B, C, T, H, W]``; shapes for a 32 x 224 x 224 clip, R50/R101)::

    stem   conv 5x7x7, stride (1, 2, 2), BN, ReLU; max-pool 1x3x3, stride (1, 2, 2)  64 x 32 x 56 x 56
    res2   bottlenecks, spatial stride 1                                           256 x 32 x 56 x 56
    pool   temporal max-pool 2x1x1, stride (2, 1, 1)                               256 x 16 x 56 x 56
    res3   bottlenecks, spatial stride 2 (first block)                             512 x 16 x 28 x 28
    res4                                                                          1024 x 16 x 14 x 14
    res5                                                                          2048 x 16 x  7 x  7
    pooled clip feature: global average over T', H', W' -> [B, 2048]

Bottleneck: ``conv_a`` kt x 1 x 1 -> ``conv_b`` 1 x 3 x 3 (carries the spatial stride) ->
``conv_c`` 1 x 1 x 1, BN after each, ReLU after the first two and after the residual sum; a
1 x 1 x 1 projection shortcut where the shape changes (PySlowFast ``STRIDE_1X1: False``).

Temporal kernels of ``conv_a`` (PySlowFast ``_TEMPORAL_KERNEL_BASIS["i3d"]``; each stage's
basis is repeated and cut to the stage depth, ``NUM_BLOCK_TEMP_KERNEL`` = all blocks):

    ========  =====  ========================  ================================
    stage     basis  R50                       R101
    ========  =====  ========================  ================================
    stem      5      5                         5
    res2      3      3, 3, 3                   3, 3, 3
    res3      3, 1   3, 1, 3, 1                3, 1, 3, 1
    res4      3, 1   3, 1, 3, 1, 3, 1          3, 1, 3, 1, ... (23 blocks, even = 3)
    res5      1, 3   1, 3, 1                   1, 3, 1
    ========  =====  ========================  ================================

(res2 has temporal kernel 3 in *every* block: PySlowFast's basis is ``[[3]]`` and the
Caffe2 video-nonlocal-net/LFB code has ``use_temp_convs_2 = [1, 1, 1]``.)

Non-local blocks (embedded Gaussian, "softmax" with 1/sqrt(d) scaling, inner width C/2,
phi/g max-pooled 1x2x2, BN after the output conv with gamma initialised to 0) are inserted
*after* the residual block with the given 0-based index:

- R50:  res3 1, 3; res4 1, 3, 5 (PySlowFast ``I3D_NLN_8x8_R50``, LFB R50)
- R101: res3 1, 3; res4 6, 13, 20 (LFB R101-I3D-NL, as in video-nonlocal-net). PySlowFast's
  ``I3D_NLN_8x8_R101`` uses res4 1, 3, 5 instead: set ``nonlocal_locations`` to load it.

Blocks, stem and non-local layers come from pytorchvideo's builders
(``create_res_basic_stem``, ``create_res_block`` + ``create_bottleneck_block``,
``create_nonlocal``); a stage is assembled here (:class:`I3DStage`) because
``create_res_stage`` cannot interleave non-local blocks. State-dict keys::

    stem.conv.weight, stem.norm.*
    res{2..5}.blocks.{i}.branch1_conv.weight, .branch1_norm.*          (projection shortcut)
    res{2..5}.blocks.{i}.branch2.conv_{a,b,c}.weight, .branch2.norm_{a,b,c}.*
    res{3,4}.nonlocal_blocks.{i}.conv_{theta,phi,g,out}.{weight,bias}, .norm.*
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence

import torch
from torch import nn

from pytorchvideo.layers.nonlocal_net import NonLocal, create_nonlocal
from pytorchvideo.models.resnet import create_bottleneck_block, create_res_block
from pytorchvideo.models.stem import create_res_basic_stem

from sgfb.backbone.archs import I3D_TEMPORAL_BASIS, ArchSpec
from sgfb.backbone.config import BackboneConfig

STAGE_NAMES = ("res2", "res3", "res4", "res5")

def temporal_kernel_pattern(stage_depths: Sequence[int],
                            basis: Sequence[Sequence[int]] = I3D_TEMPORAL_BASIS) -> List[List[int]]:
    """conv_a temporal kernel of every block, per stage: each basis repeated and cut."""
    return [[int(b[i % len(b)]) for i in range(d)] for d, b in zip(stage_depths, basis)]


class I3DStage(nn.Module):
    """Residual blocks ``blocks[i]``, each optionally followed by the non-local block
    ``nonlocal_blocks[str(i)]``. Input/output ``[B, C, T, H, W]``."""

    def __init__(self, blocks: Sequence[nn.Module],
                 nonlocal_blocks: Optional[Dict[int, nn.Module]] = None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        nonlocal_blocks = nonlocal_blocks or {}
        for index in nonlocal_blocks:
            if not 0 <= index < len(self.blocks):
                raise ValueError(f"non-local block after block {index}, but the stage has "
                                 f"{len(self.blocks)} blocks")
        self.nonlocal_blocks = nn.ModuleDict(
            {str(i): m for i, m in sorted(nonlocal_blocks.items())})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            x = block(x)
            key = str(i)
            if key in self.nonlocal_blocks:
                x = self.nonlocal_blocks[key](x)
        return x

    def nonlocal_indices(self) -> List[int]:
        return sorted(int(k) for k in self.nonlocal_blocks)


class VideoBackbone(nn.Module):
    """I3D ResNet (optionally with non-local blocks) as a clip feature extractor.

    ``forward(clips)``: ``clips`` ``[B, 3, T, H, W]`` float, normalised as ``preprocessing``
    says -> pooled clip feature ``[B, out_dim]`` (global average of the res5 map over
    T', H', W', then dropout). ``forward_features(clips)`` -> the res5 map
    ``[B, out_dim, T', H', W']`` with T' = T / 2, H' = H / 32, W' = W / 32 (rounded up).
    """

    def __init__(self, *, stage_depths: Sequence[int], width: int,
                 stem_temporal_kernel: int, temporal_kernels: Sequence[Sequence[int]],
                 nonlocal_locations: Sequence[Sequence[int]], temporal_pool: int = 2,
                 nonlocal_instantiation: str = "softmax",
                 nonlocal_pool: Sequence[int] = (1, 2, 2),
                 norm: Callable[..., nn.Module] = nn.BatchNorm3d,
                 zero_init_final_bn: bool = True, dropout: float = 0.0,
                 in_channels: int = 3, arch: str = "",
                 preprocessing: Optional[dict] = None) -> None:
        super().__init__()
        if len(stage_depths) != 4 or len(temporal_kernels) != 4 or len(nonlocal_locations) != 4:
            raise ValueError("stage_depths, temporal_kernels and nonlocal_locations need one "
                             "entry per stage (res2..res5)")
        for name, depth, kernels in zip(STAGE_NAMES, stage_depths, temporal_kernels):
            if len(kernels) != depth:
                raise ValueError(f"{name}: {len(kernels)} temporal kernels for {depth} blocks")
        if nonlocal_instantiation not in ("softmax", "dot_product"):
            raise ValueError(f"nonlocal_instantiation must be softmax or dot_product, "
                             f"got {nonlocal_instantiation!r}")
        self.arch = arch
        self.in_channels = in_channels
        self.out_dim = width * 32
        self.preprocessing = dict(preprocessing or {})

        self.stem = create_res_basic_stem(
            in_channels=in_channels, out_channels=width,
            conv_kernel_size=(stem_temporal_kernel, 7, 7), conv_stride=(1, 2, 2),
            conv_padding=(stem_temporal_kernel // 2, 3, 3),
            pool=nn.MaxPool3d, pool_kernel_size=(1, 3, 3), pool_stride=(1, 2, 2),
            pool_padding=(0, 1, 1), norm=norm)

        dim_in = width
        spatial_strides = (1, 2, 2, 2)
        for s, name in enumerate(STAGE_NAMES):
            dim_inner = width * 2 ** s
            dim_out = dim_inner * 4
            blocks = []
            for i, kt in enumerate(temporal_kernels[s]):
                stride = spatial_strides[s] if i == 0 else 1
                blocks.append(create_res_block(
                    dim_in=dim_in if i == 0 else dim_out, dim_inner=dim_inner, dim_out=dim_out,
                    bottleneck=create_bottleneck_block,
                    conv_a_kernel_size=(kt, 1, 1), conv_a_stride=(1, 1, 1),
                    conv_a_padding=(kt // 2, 0, 0),
                    conv_b_kernel_size=(1, 3, 3), conv_b_stride=(1, stride, stride),
                    conv_b_padding=(0, 1, 1), norm=norm))
                if blocks[-1].branch1_conv is not None:  # pytorchvideo leaves numpy ints here
                    conv = blocks[-1].branch1_conv
                    conv.stride = tuple(int(v) for v in conv.stride)
            nonlocal_blocks = {}
            for i in nonlocal_locations[s]:
                nl = create_nonlocal(dim_in=dim_out, dim_inner=dim_out // 2,
                                     pool_size=tuple(nonlocal_pool),
                                     instantiation=nonlocal_instantiation, norm=norm)
                nl.norm.nonlocal_final_bn = True
                nonlocal_blocks[int(i)] = nl
            try:
                setattr(self, name, I3DStage(blocks, nonlocal_blocks))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            dim_in = dim_out
            if s == 0:
                self.temporal_pool = (nn.MaxPool3d((temporal_pool, 1, 1), (temporal_pool, 1, 1))
                                      if temporal_pool > 1 else nn.Identity())
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.reset_parameters(zero_init_final_bn)

    def reset_parameters(self, zero_init_final_bn: bool = True) -> None:
        """He (fan-out) init for convolutions, BN gamma 1 / beta 0; the last BN of every
        residual branch at gamma 0 when ``zero_init_final_bn``; the BN closing every non-local
        block at gamma 0 (the block starts as the identity). Frozen BNs keep gamma 1: they are
        meant for loaded weights, and a frozen zero would switch a branch off for good."""
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
                m.reset_running_stats()
                if getattr(m, "nonlocal_final_bn", False) or (
                        zero_init_final_bn and getattr(m, "block_final_bn", False)):
                    nn.init.zeros_(m.weight)

    def forward_features(self, clips: torch.Tensor) -> torch.Tensor:
        """``[B, 3, T, H, W]`` -> res5 map ``[B, out_dim, T', H', W']``."""
        if clips.dim() != 5 or clips.shape[1] != self.in_channels:
            raise ValueError(f"expected clips [B, {self.in_channels}, T, H, W], "
                             f"got {tuple(clips.shape)}")
        x = self.stem(clips)
        x = self.res2(x)
        x = self.temporal_pool(x)
        x = self.res3(x)
        x = self.res4(x)
        return self.res5(x)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """``[B, 3, T, H, W]`` -> pooled clip feature ``[B, out_dim]``."""
        return self.dropout(self.forward_features(clips).mean(dim=(2, 3, 4)))

    def stages(self) -> Dict[str, I3DStage]:
        return {name: getattr(self, name) for name in STAGE_NAMES}

    def temporal_kernel_sizes(self) -> Dict[str, List[int]]:
        """Temporal kernel of the stem conv and of every block's ``conv_a``."""
        out = {"stem": [self.stem.conv.kernel_size[0]]}
        for name, stage in self.stages().items():
            out[name] = [b.branch2.conv_a.kernel_size[0] for b in stage.blocks]
        return out

    def nonlocal_locations(self) -> Dict[str, List[int]]:
        return {name: stage.nonlocal_indices() for name, stage in self.stages().items()}

    def extra_repr(self) -> str:
        return f"arch={self.arch!r}, out_dim={self.out_dim}"


def resolve_nonlocal_locations(config: BackboneConfig, spec: ArchSpec) -> List[List[int]]:
    if not config.non_local:
        return [[], [], [], []]
    locations = config.nonlocal_locations or spec.nonlocal_locations
    if len(locations) != 4:
        raise ValueError(f"nonlocal_locations needs 4 lists (res2..res5), got {locations!r}")
    out = []
    for name, depth, indices in zip(STAGE_NAMES, spec.stage_depths, locations):
        indices = [int(i) for i in indices]
        bad = [i for i in indices if not 0 <= i < depth]
        if bad:
            raise ValueError(f"nonlocal_locations: {name} of {config.arch} has blocks 0..{depth - 1}, "
                             f"got {bad}")
        out.append(sorted(set(indices)))
    return out


def count_nonlocal(model: nn.Module) -> int:
    return sum(isinstance(m, NonLocal) for m in model.modules())
