"""Checkpoints: written atomically, read without running code.

A checkpoint is a dict (model state, config, vocabularies, preprocessing: DESIGN.md
"Contracts"). It is written to a temporary file and renamed into place, so an interrupted
save never leaves a truncated file under the final name, and it is read with
``torch.load(..., weights_only=True)``, which admits tensors and plain containers only.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from sgfb.utils.atomic_io import atomic_write


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """Atomically write ``state`` (tensors, numbers, strings, lists, dicts) to ``path``."""
    import torch   # here, so that reading a format tag does not import torch

    with atomic_write(path, "wb", fsync=True) as f:
        torch.save(state, f)


def checkpoint_format(state: Mapping[str, Any]) -> Optional[str]:
    """A checkpoint's format tag, ``"sgfb.<what>/<version>"`` (e.g. ``sgfb.action/1``), under
    the ``"format"`` key; checkpoints written before every kind used that key carry it as
    ``"kind"`` and are still recognised."""
    value = state.get("format", state.get("kind"))
    return value if isinstance(value, str) else None


def load_checkpoint(path: str, map_location: Any = "cpu",
                    format: Union[str, Sequence[str], None] = None) -> Dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; errors name the file. ``format``: the
    format tag(s) accepted (:func:`checkpoint_format`); another raises ``ValueError`` naming
    the file, what it is and what was expected."""
    import torch

    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise RuntimeError(f"{path}: cannot load checkpoint safely ({exc})") from exc
    if not isinstance(state, dict):
        raise RuntimeError(f"{path}: expected a checkpoint dict, got {type(state).__name__}")
    if format is not None:
        wanted = (format,) if isinstance(format, str) else tuple(format)
        if checkpoint_format(state) not in wanted:
            raise ValueError(f"{path}: checkpoint format {checkpoint_format(state)!r}, "
                             f"expected {' or '.join(wanted)}")
    return state
