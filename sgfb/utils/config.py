"""Configs: small dataclasses, YAML files and ``key=value`` command-line overrides.

``apply_overrides(config, ["train.lr=1e-4", "model.hidden=256"])`` sets nested dataclass
fields; values are parsed as YAML scalars/lists (``1e-4``, ``true``, ``[1, 2]``) and checked
against the field's current type. Unknown keys are errors that list the valid ones.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Dict, Iterable, Optional, Sequence

import yaml

from sgfb.utils.atomic_io import atomic_write, remove_stale_temporaries


def _parse(text: str) -> Any:
    value = yaml.safe_load(text)
    # YAML 1.1 reads 1e-4 as a string; accept float-looking strings
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _coerce(current: Any, value: Any, key: str, text: str | None = None) -> Any:
    if isinstance(current, str) and text is not None:
        return text  # a path or name is taken as written (even "1e5" or "nan")
    if current is None or value is None:
        return value
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{key}: expected true/false, got {value!r}")
        return value
    if isinstance(current, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(current, float) and isinstance(value, (int, float)):
        return float(value)
    if isinstance(current, (list, tuple)) and not isinstance(value, (list, tuple)):
        value = [value]
    if not isinstance(value, type(current)) and not (
            isinstance(current, (list, tuple)) and isinstance(value, (list, tuple))):
        raise ValueError(f"{key}: expected {type(current).__name__}, got {value!r}")
    return value


def set_field(config: Any, key: str, value: Any, text: str | None = None) -> None:
    *path, last = key.split(".")
    target = config
    for part in path:
        if not dataclasses.is_dataclass(target) or not hasattr(target, part):
            raise KeyError(f"unknown config section {part!r} in {key!r}")
        target = getattr(target, part)
    names = [f.name for f in dataclasses.fields(target)]
    if last not in names:
        raise KeyError(f"unknown config key {key!r}; valid keys here: {', '.join(names)}")
    setattr(target, last, _coerce(getattr(target, last), value, key, text))


def apply_overrides(config: Any, overrides: Iterable[str]) -> Any:
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override {item!r} is not key=value")
        set_field(config, key.strip(), _parse(text), text.strip())
    return config


def apply_mapping(config: Any, mapping: Dict[str, Any], prefix: str = "") -> Any:
    """Set fields from a nested mapping (a loaded YAML file)."""
    for key, value in (mapping or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            apply_mapping(config, value, name + ".")
        else:
            set_field(config, name, value)
    return config


def load_yaml(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config file must hold a mapping")
    return data


def to_dict(config: Any) -> Dict[str, Any]:
    return dataclasses.asdict(config)


def resolve_config(config: Any, path: Optional[str], overrides: Sequence[str]) -> Any:
    """Defaults, then the YAML file, then ``key=value`` overrides (in that order)."""
    if path:
        apply_mapping(config, load_yaml(path))
        if hasattr(config, "config_name"):   # recorded in checkpoints (sgfb.utils.provenance)
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
