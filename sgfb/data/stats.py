"""Dataset counts a user checks after a download (``tools/dataset_stats.py``)."""
from __future__ import annotations

from typing import Any, Dict

from sgfb.structures import vocab
from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades


def action_genome_stats(ag: ActionGenome) -> Dict[str, Any]:
    """Counts over every frame of ``ag`` (load it with the ``keep_all`` preset for the raw
    numbers). ``relationships`` counts relationship labels per group;
    ``frames_without_person_box`` is None for graph-only data (no ``person_bbox.pkl``)."""
    groups = {g: 0 for g in vocab.GROUPS}
    objects = visible = 0
    for frame in ag:
        objects += len(frame.objects)
        visible += len(frame.visible_objects)
        for obj in frame.objects:
            for r in obj.relations:
                groups[vocab.relationship_group(r)] += 1
    no_person = (sum(1 for f in ag if f.person_box is None) if ag.has_person_boxes else None)
    return {
        "videos": len(ag.videos),
        "frames": len(ag),
        "objects": objects,
        "visible_objects": visible,
        "relationships": groups,
        "frames_without_person_box": no_person,
    }


def charades_stats(charades: Charades) -> Dict[str, Any]:
    labels = {a.label for v in charades for a in v.actions}
    return {
        "videos": len(charades),
        "action_instances": sum(len(v.actions) for v in charades),
        "classes_seen": len(labels),
    }
