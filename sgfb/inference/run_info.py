"""What an inference run records about itself in every result (``VideoResult.provenance``):
the checkpoints' records (:mod:`sgfb.utils.provenance`), the class list, software versions, the
decoding backend, and warnings such as a synthetic-world model given real footage."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from sgfb.data.charades import read_classes
from sgfb.utils.checkpoint import load_checkpoint
from sgfb.utils.provenance import (checkpoint_record, software_versions, synthetic_model_warning,
                             video_is_synthetic)


class RunInfo:
    """The run-wide part (checkpoints, classes, software), and per video
    :meth:`for_video` adding the backend and warnings."""

    def __init__(self, sg_checkpoint: str, action_checkpoint: str, class_names: Sequence[str],
                 class_source: str, sg_state: Optional[Mapping[str, Any]] = None,
                 action_state: Optional[Mapping[str, Any]] = None) -> None:
        self.checkpoints = {
            "scene_graph": checkpoint_record(sg_checkpoint, sg_state if sg_state is not None
                                             else load_checkpoint(sg_checkpoint)),
            "action": checkpoint_record(action_checkpoint, action_state if action_state
                                        is not None else load_checkpoint(action_checkpoint)),
        }
        self.class_list = {"source": class_source, "count": len(class_names)}
        self.software = software_versions()

    def warning_for(self, video_path: str) -> Optional[str]:
        return synthetic_model_warning(self.checkpoints, video_is_synthetic(video_path))

    def for_run(self) -> Dict[str, Any]:
        """The run-wide record (a run's ``summary.json``): checkpoints, classes, software."""
        return {"software": dict(self.software), "class_list": dict(self.class_list),
                "checkpoints": {k: dict(v) for k, v in self.checkpoints.items()}}

    def for_video(self, video_path: str, backend: str) -> Dict[str, Any]:
        warning = self.warning_for(video_path)
        return {"software": dict(self.software), "decoding_backend": backend or "unknown",
                "class_list": dict(self.class_list),
                "checkpoints": {k: dict(v) for k, v in self.checkpoints.items()},
                "warnings": [warning] if warning else []}


def class_source(names: Sequence[str], classes_file: str = "") -> str:
    """Where the class names come from, as the report shows it."""
    if classes_file:
        return classes_file
    if names and all(re.fullmatch(r"c\d{3}", n) for n in names):
        return "checkpoint (ids only: pass --classes Charades_v1_classes.txt for names)"
    return "checkpoint"


def class_names_from(path: str, count: int) -> List[str]:
    """Action class names of a ``Charades_v1_classes.txt``-style file (``c000 Holding some
    clothes``), checked to cover the model's ``count`` outputs."""
    names = read_classes(path)
    if len(names) != count:
        raise ValueError(f"{path}: {len(names)} class names, but the action model has "
                         f"{count} outputs")
    return names
