"""Write a dataset in the layout of the real downloads.

::

    OUT/videos/VIDEOID.mp4
    OUT/annotations/object_bbox_and_relationship.pkl   frame key -> object entries
    OUT/annotations/person_bbox.pkl                    frame key -> person entry
    OUT/annotations/frame_list.txt                     sorted frame keys, one per line
    OUT/annotations/object_classes.txt                 36 classes, official spelling
    OUT/annotations/relationship_classes.txt           26 classes, official spelling
    OUT/charades/Charades_v1_train.csv, Charades_v1_test.csv   (CRLF, quoted like the real ones)
    OUT/charades/Charades_v1_classes.txt               "c000 Picking up a cup" (synthetic actions)
    OUT/charades/video_fps.json                        {"VIDEOID.mp4": 29.97, ...}

Formats of the entries: see :mod:`~sgfb.synthetic.annotate`. Keys are written in sorted
order so that the same dataset gives the same bytes.
"""
from __future__ import annotations

import csv
import io
import json
import os
import pickle
import sys
from typing import Any, Dict, Mapping, Sequence

import numpy as np

from sgfb.synthetic.scripts import ACTIONS, action_class_id
from sgfb.structures.vocab import AG_OBJECTS, AG_RELATIONSHIPS, official_spelling
from sgfb.utils.provenance import SYNTHETIC_MARKER

CHARADES_COLUMNS = ("id", "subject", "scene", "quality", "relevance", "verified", "script",
                    "objects", "descriptions", "actions", "length")
PICKLE_PROTOCOL = 4


def dataset_paths(out_dir: str) -> Dict[str, str]:
    """Paths of every folder and file the dataset has."""
    ann, cha = os.path.join(out_dir, "annotations"), os.path.join(out_dir, "charades")
    return {
        "videos": os.path.join(out_dir, "videos"),
        "annotations": ann,
        "charades": cha,
        "objects": os.path.join(ann, "object_bbox_and_relationship.pkl"),
        "persons": os.path.join(ann, "person_bbox.pkl"),
        "frame_list": os.path.join(ann, "frame_list.txt"),
        "object_classes": os.path.join(ann, "object_classes.txt"),
        "relationship_classes": os.path.join(ann, "relationship_classes.txt"),
        "train_csv": os.path.join(cha, "Charades_v1_train.csv"),
        "test_csv": os.path.join(cha, "Charades_v1_test.csv"),
        "classes": os.path.join(cha, "Charades_v1_classes.txt"),
        "fps": os.path.join(cha, "video_fps.json"),
    }


def make_folders(out_dir: str) -> Dict[str, str]:
    paths = dataset_paths(out_dir)
    for key in ("videos", "annotations", "charades"):
        os.makedirs(paths[key], exist_ok=True)
    return paths


def write_annotations(paths: Mapping[str, str], objects: Mapping[str, Any],
                      persons: Mapping[str, Any]) -> None:
    """The two AG pickles, the frame list and the two class files."""
    if set(objects) != set(persons):
        raise ValueError("object and person annotations must cover the same frames")
    keys = sorted(objects)
    _write_bytes(paths["objects"], canonical_pickle({k: objects[k] for k in keys}))
    _write_bytes(paths["persons"], canonical_pickle({k: persons[k] for k in keys}))
    _write_text(paths["frame_list"], "".join(k + "\n" for k in keys))
    # marks the folder as the synthetic world's, so checkpoints trained on it record that
    _write_text(os.path.join(os.path.dirname(paths["frame_list"]), SYNTHETIC_MARKER),
                "Annotations of the sgfb synthetic world (sgfb.synthetic), not real video.\n")
    # The official class files: one class a line, no trailing newline.
    _write_text(paths["object_classes"], "\n".join(official_spelling(n) for n in AG_OBJECTS))
    _write_text(paths["relationship_classes"],
                "\n".join(official_spelling(n) for n in AG_RELATIONSHIPS))


def write_charades(paths: Mapping[str, str], rows: Sequence[Mapping[str, str]],
                   splits: Mapping[str, str], fps: Mapping[str, float]) -> None:
    """The two Charades CSVs (rows in the given order), the classes file and the fps table."""
    for split, key in (("train", "train_csv"), ("test", "test_csv")):
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=CHARADES_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            if splits[row["id"]] == split:
                writer.writerow({c: row[c] for c in CHARADES_COLUMNS})
        _write_text(paths[key], buffer.getvalue())
    _write_text(paths["classes"], "".join(f"{action_class_id(i)} {a.name}\n"
                                          for i, a in enumerate(ACTIONS)))
    lines = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in sorted(fps.items())]
    _write_text(paths["fps"], "{\n" + ",\n".join(lines) + "\n}")


def canonical_pickle(data: Any) -> bytes:
    """Pickle bytes that depend only on the values in ``data``, not on which Python objects
    happen to be shared (results coming back from worker processes share differently)."""
    return pickle.dumps(_fresh(data), PICKLE_PROTOCOL)


def _fresh(value: Any) -> Any:
    """A copy of ``value`` with new containers, new arrays and interned strings."""
    if isinstance(value, dict):
        return {_fresh(k): _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, np.ndarray):       # with numpy's own dtype object, not an unpickled one
        dtype = np.dtype(value.dtype.str)
        data = np.ascontiguousarray(value).tobytes()
        return np.frombuffer(data, dtype=dtype).reshape(value.shape).copy()
    return value


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
