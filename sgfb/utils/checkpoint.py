"""Checkpoints: written atomically, read without running code.

A checkpoint is a dict (model state, config, vocabularies, preprocessing: DESIGN.md
"Contracts"). It is written to a temporary file and renamed into place, so an interrupted
save never leaves a truncated file under the final name, and it is read with
``torch.load(..., weights_only=True)``, which admits tensors and plain containers only.
"""
from __future__ import annotations

import os
from typing import Any, Dict

import torch

from sgfb.utils.atomic_io import atomic_write


def save_checkpoint(path: str, state: Dict[str, Any]) -> None:
    """Atomically write ``state`` (tensors, numbers, strings, lists, dicts) to ``path``."""
    with atomic_write(path, "wb", fsync=True) as f:
        torch.save(state, f)


def load_checkpoint(path: str, map_location: Any = "cpu") -> Dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; errors name the file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise RuntimeError(f"{path}: cannot load checkpoint safely ({exc})") from exc
    if not isinstance(state, dict):
        raise RuntimeError(f"{path}: expected a checkpoint dict, got {type(state).__name__}")
    return state
