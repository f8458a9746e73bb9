"""Turning a tool's YAML file and ``key=value`` overrides into a resolved, saved config."""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional, Sequence

import yaml

from sgfb.atomic_io import atomic_write, remove_stale_temporaries
from sgfb.engine.config import apply_mapping, apply_overrides, load_yaml


def resolve_config(config: Any, path: Optional[str], overrides: Sequence[str]) -> Any:
    """Defaults, then the YAML file, then ``key=value`` overrides (in that order)."""
    if path:
        apply_mapping(config, load_yaml(path))
        if hasattr(config, "config_name"):   # recorded in checkpoints (sgfb.provenance)
            config.config_name = os.path.basename(path)
    return apply_overrides(config, overrides)


def save_resolved(config: Any, out_dir: str, main_process: bool = True, echo: bool = True) -> str:
    """Write ``OUT/config.yaml`` (and print it) so every run records what it ran with."""
    text = yaml.safe_dump(dataclasses.asdict(config), sort_keys=False)
    path = os.path.join(out_dir, "config.yaml")
    if main_process:
        os.makedirs(out_dir, exist_ok=True)
        remove_stale_temporaries(out_dir)
        with atomic_write(path, "w") as f:
            f.write(text)
        if echo:
            print(text)
    return path
