"""Scene-graph statistics of Action Genome frames, and the targets the generator aims at.

The targets were measured once on the real AG subset shipped for development
(``ag_real_subset/object_bbox_and_relationship.pkl``: 8,132 frames of 3,907 Charades videos,
16,181 visible objects) with :func:`graph_statistics`; only the numbers are kept here.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Sequence

#: Measured on ag_real_subset (see the module docstring).
REAL_VISIBLE_OBJECTS_PER_FRAME = 1.99
REAL_ATTENTION_PER_OBJECT = 1.00
REAL_SPATIAL_PER_OBJECT = 1.18
REAL_CONTACTING_PER_OBJECT = 1.08
#: Share of frames with no visible object, and with 1, 2, 3, 4+ (ag_real_subset).
REAL_VISIBLE_COUNT_SHARES = {0: 0.035, 1: 0.339, 2: 0.343, 3: 0.193, 4: 0.090}
#: Visible-object counts per class in ag_real_subset: how often each class shows up in real
#: frames. The generator draws its distractor objects with these weights.
REAL_CLASS_COUNTS: Dict[str, int] = {
    "table": 1244, "food": 1192, "cup/glass/bottle": 1085, "chair": 915, "clothes": 856,
    "book": 717, "dish": 696, "floor": 648, "bag": 604, "phone/camera": 572,
    "closet/cabinet": 529, "sofa/couch": 528, "doorway": 521, "laptop": 517, "blanket": 517,
    "door": 500, "towel": 466, "bed": 450, "sandwich": 416, "box": 390, "pillow": 380,
    "paper/notebook": 348, "mirror": 280, "shelf": 264, "broom": 234, "shoe": 234,
    "refrigerator": 165, "window": 155, "picture": 137, "television": 127, "medicine": 126,
    "groceries": 123, "doorknob": 93, "light": 80, "vacuum": 72,
}

GROUP_KEYS = ("attention_relationship", "spatial_relationship", "contacting_relationship")


@dataclass(frozen=True)
class GraphStatistics:
    """``visible_per_frame``: mean visible objects per frame; ``visible_count_shares``: share
    of frames with 0, 1, 2, 3, 4+ visible objects; ``*_per_object``: mean labels of a group
    per visible object."""

    frames: int
    visible_objects: int
    visible_per_frame: float
    visible_count_shares: Dict[int, float]
    attention_per_object: float
    spatial_per_object: float
    contacting_per_object: float

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


def graph_statistics(annotations: Mapping[str, Sequence[Mapping[str, Any]]]) -> GraphStatistics:
    """Statistics of an AG object annotation dict (frame key -> list of object entries)."""
    counts = Counter()
    per_group = {key: 0 for key in GROUP_KEYS}
    visible_total = 0
    for entries in annotations.values():
        visible = [e for e in entries if e.get("visible", True)]
        counts[min(len(visible), 4)] += 1
        visible_total += len(visible)
        for e in visible:
            for key in GROUP_KEYS:
                per_group[key] += len(e.get(key) or ())
    frames = max(1, len(annotations))
    objects = max(1, visible_total)
    return GraphStatistics(
        frames=len(annotations), visible_objects=visible_total,
        visible_per_frame=visible_total / frames,
        visible_count_shares={k: counts[k] / frames for k in range(5)},
        attention_per_object=per_group["attention_relationship"] / objects,
        spatial_per_object=per_group["spatial_relationship"] / objects,
        contacting_per_object=per_group["contacting_relationship"] / objects,
    )
