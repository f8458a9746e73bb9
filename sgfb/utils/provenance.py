"""Where a prediction comes from: what checkpoints record about their training, and what a
result file and ``report.html`` record about the run.

Training writes :func:`training_record` into every checkpoint under ``"provenance"`` (date,
config name, training data kind and size, software version). Inference reads it back with
:func:`checkpoint_record`, adding the file's path and sha256 prefix; checkpoints written
before these fields existed still load, and what they lack reads as ``"unknown"``.

The synthetic world marks itself (a marker file beside its annotations, a tag in its mp4
files), so a model trained on it and run on other footage can say that its predictions mean
nothing there (:func:`synthetic_model_warning`).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
from typing import Any, Dict, Mapping, Optional

import sgfb
from sgfb.utils.checkpoint import checkpoint_format

UNKNOWN = "unknown"
PROVENANCE_KEY = "provenance"
#: Written by the synthetic-world generator into its ``annotations`` folder.
SYNTHETIC_MARKER = "SGFB_SYNTHETIC.txt"
#: mp4 ``comment`` metadata of every synthetic-world video.
SYNTHETIC_VIDEO_TAG = "sgfb synthetic world"
DATA_KINDS = ("synthetic", "real")
SHA_PREFIX = 12


def dataset_kind(annotations_dir: str) -> str:
    """``"synthetic"`` when ``annotations_dir`` (or its parent, the dataset root) holds the
    synthetic-world marker, else ``"real"``."""
    here = os.path.abspath(annotations_dir)
    for folder in (here, os.path.dirname(here)):
        if os.path.isfile(os.path.join(folder, SYNTHETIC_MARKER)):
            return "synthetic"
    return "real"


def training_record(config_name: str, data_kind: str, data_size: int, data_unit: str,
                    data_source: str, now: Optional[_dt.datetime] = None) -> Dict[str, Any]:
    """What a checkpoint stores about its training (plain types, for ``weights_only`` loads)."""
    if data_kind not in DATA_KINDS:
        raise ValueError(f"data_kind={data_kind!r}; choose from {DATA_KINDS}")
    when = now or _dt.datetime.now(_dt.timezone.utc)
    return {"trained_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "config_name": config_name or UNKNOWN,
            "data_kind": data_kind, "data_size": int(data_size), "data_unit": data_unit,
            "data_source": os.path.abspath(data_source) if data_source else UNKNOWN,
            "sgfb_version": sgfb.__version__}


def sha256_prefix(path: str, length: int = SHA_PREFIX) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def checkpoint_record(path: str, state: Mapping[str, Any]) -> Dict[str, Any]:
    """The provenance of one checkpoint file: its path and hash, plus the training record
    stored in ``state`` (each missing field ``"unknown"``)."""
    stored = state.get(PROVENANCE_KEY) or {}
    record: Dict[str, Any] = {"path": os.path.abspath(path), "sha256": sha256_prefix(path),
                              "format": checkpoint_format(state) or UNKNOWN}
    for key in ("trained_at", "config_name", "data_kind", "data_unit", "data_source",
                "sgfb_version"):
        record[key] = str(stored.get(key, UNKNOWN))
    size = stored.get("data_size")
    record["data_size"] = int(size) if isinstance(size, int) else UNKNOWN
    return record


def describe_training(record: Mapping[str, Any]) -> str:
    """One line: ``synthetic data, 159 frames, config small_synthetic.yaml, 2026-12-01``."""
    size = record.get("data_size", UNKNOWN)
    amount = f"{size} {record.get('data_unit', '')}".strip() if size != UNKNOWN else "size unknown"
    date = str(record.get("trained_at", UNKNOWN))[:10]
    return (f"{record.get('data_kind', UNKNOWN)} data, {amount}, config "
            f"{record.get('config_name', UNKNOWN)}, trained {date}")


def video_is_synthetic(path: str) -> bool:
    """Whether ``path`` carries the synthetic world's mp4 tag (False when unreadable)."""
    try:
        import av
        with av.open(path) as container:
            return container.metadata.get("comment", "") == SYNTHETIC_VIDEO_TAG
    except Exception:   # unreadable files are reported by the decoder, not here
        return False


def synthetic_model_warning(checkpoints: Mapping[str, Mapping[str, Any]],
                            video_synthetic: bool) -> Optional[str]:
    """The warning for a real (untagged) video given to a model trained on the synthetic
    world, or None."""
    synthetic = [name for name, rec in checkpoints.items() if rec.get("data_kind") == "synthetic"]
    if not synthetic or video_synthetic:
        return None
    plural = len(synthetic) > 1
    synthetic = [name.replace("_", "-") for name in synthetic]
    return (f"the {' and '.join(synthetic)} model{'s were' if plural else ' was'} trained on "
            f"the synthetic world only: {'their' if plural else 'its'} predictions are not "
            "meaningful on real footage")


def software_versions() -> Dict[str, str]:
    import torch
    import torchvision
    return {"sgfb": sgfb.__version__, "torch": torch.__version__,
            "torchvision": torchvision.__version__}
