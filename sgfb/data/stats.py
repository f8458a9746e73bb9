"""Dataset counts a user checks after a download (``tools/dataset_stats.py``)."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from sgfb.structures import vocab
from sgfb.data.action_genome import ActionGenome
from sgfb.data.charades import Charades


def action_genome_stats(ag: ActionGenome) -> Dict[str, Any]:
    """Counts over every frame of ``ag`` (load it with the ``keep_all`` preset for the raw
    numbers). ``relationships`` counts relationship labels per group;
    ``frames_without_person_box`` is None for graph-only data (no ``person_bbox.pkl``).
    Computed on the annotation columns at once (no per-frame objects)."""
    t = ag.table
    _, objects = t.object_rows(ag.rows)
    bits = t.relation_bits[objects]
    per_relation = [int(np.count_nonzero(bits >> np.uint32(r) & 1))
                    for r in range(len(vocab.AG_RELATIONSHIPS))]
    groups = {g: 0 for g in vocab.GROUPS}
    for r, n in enumerate(per_relation):
        groups[vocab.relationship_group(r)] += n
    no_person = (int(np.isnan(t.person_boxes[ag.rows, 0]).sum()) if ag.has_person_boxes
                 else None)
    return {
        "videos": len(ag.videos),
        "frames": len(ag),
        "objects": int(len(objects)),
        "visible_objects": int(t.visible[objects].sum()),
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
