"""What each backbone ``arch`` name stands for (:class:`ArchSpec`, :data:`ARCHS`): plain
values, importable without torch (``tools/convert_i3d_weights.py --help`` lists them); the
network itself is built in :mod:`sgfb.backbone.i3d`, which describes the layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

#: conv_a temporal kernel basis per stage (res2..res5), repeated to the stage depth.
I3D_TEMPORAL_BASIS: Tuple[Tuple[int, ...], ...] = ((3,), (3, 1), (3, 1), (1, 3))


@dataclass(frozen=True)
class ArchSpec:
    """What an ``arch`` name stands for."""
    stage_depths: Tuple[int, int, int, int]
    width: int                                  # stem channels = res2 inner width
    nonlocal_locations: Tuple[Tuple[int, ...], ...]
    stem_temporal_kernel: int = 5
    temporal_basis: Tuple[Tuple[int, ...], ...] = I3D_TEMPORAL_BASIS
    temporal_pool: int = 2                      # temporal max-pool stride after res2

    @property
    def out_dim(self) -> int:
        return self.width * 32


ARCHS: Dict[str, ArchSpec] = {
    "i3d_nl_r50": ArchSpec((3, 4, 6, 3), 64, ((), (1, 3), (1, 3, 5), ())),
    "i3d_nl_r101": ArchSpec((3, 4, 23, 3), 64, ((), (1, 3), (6, 13, 20), ())),
    "i3d_small": ArchSpec((1, 1, 1, 1), 16, ((), (0,), (), ())),
}


def arch_spec(name: str) -> ArchSpec:
    if name not in ARCHS:
        raise ValueError(f"unknown backbone arch {name!r}; choose from {', '.join(ARCHS)}")
    return ARCHS[name]
