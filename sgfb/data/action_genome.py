"""Action Genome annotation reader (Action Genome paper §3; DESIGN.md "Contracts").

Reads an annotation directory as downloaded (``object_bbox_and_relationship.pkl``,
``person_bbox.pkl``, ``frame_list.txt``, ``object_classes.txt``, ``relationship_classes.txt``)
or a bare object pickle (graph-only data such as ``ag_real_subset``, where ``bbox`` is None).

Conventions: frame keys are ``VIDEO.mp4/NNNNNN.png`` with NNNNNN the 1-based frame number at
the video's native rate, shown at t = (NNNNNN - 1) / fps seconds. Object boxes are stored
as xywh in the pickle and returned as xyxy pixels; person boxes are already xyxy.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from sgfb.structures import vocab
from sgfb.structures.frame_keys import parse_frame_key
from sgfb.data.safe_pickle import load_pickle
from sgfb.structures.scene_graph import SceneGraph

log = logging.getLogger(__name__)

OBJECT_PICKLE = "object_bbox_and_relationship.pkl"
PERSON_PICKLE = "person_bbox.pkl"
FRAME_LIST = "frame_list.txt"


class AnnotationError(ValueError):
    """A malformed annotation entry; the message names the file, frame key and field."""


@dataclass(frozen=True)
class AGObject:
    """One annotated object of a frame.

    ``box``: ``[4]`` float32 xyxy pixels, or None (invisible object or graph-only data).
    ``relations``: sorted relationship indices (0..25, see :mod:`sgfb.structures.vocab`).
    """

    label: int
    box: Optional[np.ndarray]
    visible: bool
    relations: Tuple[int, ...]

    @property
    def name(self) -> str:
        return vocab.AG_OBJECTS[self.label]


@dataclass
class AGFrame:
    """One annotated frame. ``person_box`` is ``[4]`` xyxy pixels, or None when absent."""

    key: str
    video: str                 # "VIDEO.mp4", the frame key's directory
    frame_number: int          # 1-based, native frame rate
    split: Optional[str]       # metadata "set": "train" / "test" (None: frame has no objects)
    objects: List[AGObject]
    person_box: Optional[np.ndarray] = None
    image_size: Optional[Tuple[int, int]] = None   # (width, height) from person_bbox.pkl

    @property
    def video_id(self) -> str:
        """Charades video id (the file name without extension)."""
        return os.path.splitext(self.video)[0]

    @property
    def visible_objects(self) -> List[AGObject]:
        return [o for o in self.objects if o.visible]

    def scene_graph(self, include_invisible: bool = False) -> SceneGraph:
        """Ground-truth :class:`SceneGraph` (person node 0, scores 1.0).

        Invisible objects are left out unless ``include_invisible``. The graph carries boxes
        when the annotation has any (object boxes or a person box); unknown ones are NaN.
        """
        objects = self.objects if include_invisible else self.visible_objects
        has_boxes = self.person_box is not None or any(o.box is not None for o in objects)
        return SceneGraph.from_ground_truth(
            object_labels=[o.label for o in objects],
            object_relations=[o.relations for o in objects],
            object_boxes=[o.box for o in objects] if has_boxes else None,
            person_box=self.person_box,
            image_size=self.image_size,
            frame_key=self.key,
        )


@dataclass(frozen=True)
class FilterPreset:
    """Which frames and videos to keep.

    ``filtered`` equals the filter of the common AG codebases (STTran and its descendants):
    keep frames with at least one visible object and a person box, then keep videos with at
    least 3 such frames. ``keep_all`` keeps everything.
    """

    name: str
    require_visible_object: bool
    require_person_box: bool
    min_frames_per_video: int


PRESETS: Dict[str, FilterPreset] = {
    "keep_all": FilterPreset("keep_all", False, False, 1),
    "filtered": FilterPreset("filtered", True, True, 3),
}


FpsSource = Union[None, str, Mapping[str, float], Callable[[str], float]]


class ActionGenome:
    """Frames of an Action Genome annotation set, grouped by video in frame order."""

    def __init__(self, frames: Sequence[AGFrame], fps: FpsSource = None,
                 has_person_boxes: bool = False, source: str = "<memory>") -> None:
        ordered = sorted(frames, key=lambda f: (f.video, f.frame_number))
        self.frames: Dict[str, AGFrame] = {f.key: f for f in ordered}
        self.videos: Dict[str, List[str]] = {}
        for f in ordered:
            self.videos.setdefault(f.video_id, []).append(f.key)
        self.has_person_boxes = has_person_boxes
        self.source = source
        self._fps_lookup = fps_lookup(fps)
        self._fps_cache: Dict[str, float] = {}

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        path: str,
        preset: str = "keep_all",
        split: Optional[str] = None,
        fps: FpsSource = None,
        person_pickle: Optional[str] = None,
    ) -> "ActionGenome":
        """Read an annotation directory or a bare object pickle.

        ``preset``: ``"keep_all"`` or ``"filtered"`` (see :class:`FilterPreset`).
        ``split``: keep only frames whose metadata ``set`` equals it (``"train"``/``"test"``).
        ``fps``: native frame rates for :meth:`frame_time`: a JSON fps table path
        (``{"VIDEO.mp4": 29.97}``), a mapping, a callable ``video file name -> fps``, or a
        directory of videos to read the rate from.
        """
        if preset not in PRESETS:
            raise ValueError(f"unknown filter preset {preset!r}; choose from {sorted(PRESETS)}")
        object_pickle, person_pickle = _locate(path, person_pickle)
        if os.path.isdir(path):
            vocab.check_against_official(*vocab.find_class_files(path))
        objects = load_pickle(object_pickle)
        if not isinstance(objects, dict):
            raise AnnotationError(f"{object_pickle}: expected a dict of frame key -> objects, "
                                  f"got {type(objects).__name__}")
        persons = load_pickle(person_pickle) if person_pickle else None
        if persons is not None and not isinstance(persons, dict):
            raise AnnotationError(f"{person_pickle}: expected a dict of frame key -> person entry")
        frames = _parse_frames(objects, persons, object_pickle, person_pickle)
        if split is not None:
            frames = [f for f in frames if f.split == split]
        frames = _apply_preset(frames, PRESETS[preset], has_person_boxes=persons is not None)
        return cls(frames, fps=fps, has_person_boxes=persons is not None, source=object_pickle)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[AGFrame]:
        return iter(self.frames.values())

    def __getitem__(self, key: str) -> AGFrame:
        try:
            return self.frames[key]
        except KeyError:
            raise KeyError(f"frame {key!r} is not in {self.source}") from None

    def video_frames(self, video_id: str) -> List[AGFrame]:
        """The frames of a video (id without extension), in frame order."""
        if video_id not in self.videos:
            raise KeyError(f"video {video_id!r} is not in {self.source}")
        return [self.frames[k] for k in self.videos[video_id]]

    def scene_graph(self, key: str, include_invisible: bool = False) -> SceneGraph:
        return self[key].scene_graph(include_invisible)

    def fps(self, video: str) -> float:
        """Native frame rate of ``video`` (id or file name)."""
        name = video if video.endswith(".mp4") else video + ".mp4"
        if name not in self._fps_cache:
            if self._fps_lookup is None:
                raise KeyError(f"no frame rate known for {name}: give the native frame rates "
                               "(an fps table JSON such as video_fps.json, or the videos "
                               "directory): --fps-table in the tools, fps= in ActionGenome.load")
            self._fps_cache[name] = float(self._fps_lookup(name))
        return self._fps_cache[name]

    def frame_time(self, key: str) -> float:
        """Seconds at which frame ``key`` is shown: (frame_number - 1) / native fps."""
        frame = self[key]
        return (frame.frame_number - 1) / self.fps(frame.video)


# ---------------------------------------------------------------------- helpers
def read_frame_keys(annotations: Union[str, os.PathLike]) -> List[str]:
    """Annotated frame keys, in file order: of an annotation directory (its
    ``frame_list.txt`` when present, else the object pickle's keys), of a ``.txt`` frame list
    or of an object pickle. Malformed keys raise ``ValueError`` naming the file."""
    path = os.fspath(annotations)
    if os.path.isdir(path):
        candidates = [os.path.join(path, name) for name in (FRAME_LIST, OBJECT_PICKLE)]
        found = [c for c in candidates if os.path.isfile(c)]
        if not found:
            raise FileNotFoundError(f"{path}: holds neither {FRAME_LIST} nor {OBJECT_PICKLE}")
        path = found[0]
    elif not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such annotation file or directory")
    if path.endswith(".pkl"):
        data = load_pickle(path)
        if not isinstance(data, dict):
            raise AnnotationError(f"{path}: expected a dict of frame key -> objects, "
                                  f"got {type(data).__name__}")
        keys = [str(k) for k in data]
    else:
        with open(path, encoding="utf-8") as f:
            keys = [line.strip() for line in f if line.strip()]
    for key in keys:
        parse_frame_key(key, source=path)
    return keys


def _locate(path: str, person_pickle: Optional[str]) -> Tuple[str, Optional[str]]:
    if os.path.isdir(path):
        object_pickle = os.path.join(path, OBJECT_PICKLE)
        if not os.path.isfile(object_pickle):
            raise FileNotFoundError(f"{path}: no {OBJECT_PICKLE} in this annotation directory")
        candidate = os.path.join(path, PERSON_PICKLE)
        if person_pickle is None and os.path.isfile(candidate):
            person_pickle = candidate
        return object_pickle, person_pickle
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such annotation file or directory")
    return path, person_pickle


def fps_lookup(fps: FpsSource) -> Optional[Callable[[str], float]]:
    if fps is None:
        return None
    if callable(fps):
        return fps
    if isinstance(fps, Mapping):
        table = dict(fps)
        return lambda name: _table_lookup(table, name, "<fps mapping>")
    if isinstance(fps, str) and os.path.isdir(fps):
        directory = fps

        def from_video(name: str) -> float:
            from sgfb.data.video import open_video  # decoding only when actually needed
            with open_video(os.path.join(directory, name)) as reader:
                return reader.fps
        return from_video
    if isinstance(fps, str):
        with open(fps, encoding="utf-8") as f:
            table = json.load(f)
        return lambda name: _table_lookup(table, name, fps)
    raise TypeError(f"fps must be a path, mapping or callable, got {type(fps).__name__}")


def _table_lookup(table: Mapping[str, float], name: str, source: str) -> float:
    for key in (name, os.path.splitext(name)[0]):
        if key in table:
            return float(table[key])
    raise KeyError(f"{source}: no frame rate for video {name}")


def _parse_frames(objects: Dict[str, Any], persons: Optional[Dict[str, Any]],
                  object_pickle: str, person_pickle: Optional[str]) -> List[AGFrame]:
    unknown_objects: Dict[str, str] = {}
    unknown_relations: Dict[str, str] = {}
    frames = []
    for key, entries in objects.items():
        video, number = parse_frame_key(key, source=object_pickle)
        where = f"{object_pickle}: frame {key!r}"
        if not isinstance(entries, list):
            raise AnnotationError(f"{where}: expected a list of objects, "
                                  f"got {type(entries).__name__}")
        parsed, splits = [], set()
        for i, entry in enumerate(entries):
            obj = _parse_object(entry, f"{where} object {i}", unknown_objects, unknown_relations,
                                key)
            if obj is not None:
                parsed.append(obj)
            meta = entry.get("metadata") if isinstance(entry, dict) else None
            if isinstance(meta, dict) and meta.get("set") is not None:
                splits.add(meta["set"])
        if len(splits) > 1:
            raise AnnotationError(f"{where}: field 'metadata.set' disagrees between objects: "
                                  f"{sorted(splits)}")
        person_box, image_size = None, None
        if persons is not None and key in persons:
            person_box, image_size = _parse_person(persons[key], f"{person_pickle}: frame {key!r}")
        frames.append(AGFrame(key=key, video=video, frame_number=number,
                              split=splits.pop() if splits else None, objects=parsed,
                              person_box=person_box, image_size=image_size))
    if unknown_objects or unknown_relations:
        parts = []
        if unknown_objects:
            parts.append("object classes " + ", ".join(
                f"{n!r} (e.g. {k})" for n, k in sorted(unknown_objects.items())))
        if unknown_relations:
            parts.append("relationship classes " + ", ".join(
                f"{n!r} (e.g. {k})" for n, k in sorted(unknown_relations.items())))
        raise AnnotationError(f"{object_pickle}: unknown {'; '.join(parts)}")
    return frames


def _parse_object(entry: Any, where: str, unknown_objects: Dict[str, str],
                  unknown_relations: Dict[str, str], key: str) -> Optional[AGObject]:
    if not isinstance(entry, dict):
        raise AnnotationError(f"{where}: expected a dict, got {type(entry).__name__}")
    if "class" not in entry:
        raise AnnotationError(f"{where}: missing field 'class'")
    name = entry["class"]
    if not isinstance(name, str):
        raise AnnotationError(f"{where}: field 'class' must be a string, got {name!r}")
    label = vocab.OBJECTS.get(name)
    if label is None:
        unknown_objects.setdefault(name, key)
    visible = entry.get("visible", True)
    if not isinstance(visible, (bool, np.bool_)):
        raise AnnotationError(f"{where}: field 'visible' must be a bool, got {visible!r}")
    box = _parse_box(entry.get("bbox"), f"{where}: field 'bbox'", xywh=True)
    relations: List[int] = []
    for group, field_name in vocab.GROUP_PICKLE_KEYS.items():
        names = entry.get(field_name)
        if names is None:
            continue
        if not isinstance(names, (list, tuple)):
            raise AnnotationError(f"{where}: field {field_name!r} must be a list, got {names!r}")
        for rel in names:
            index = vocab.RELATIONSHIPS.get(rel) if isinstance(rel, str) else None
            if index is None:
                unknown_relations.setdefault(str(rel), key)
                continue
            if vocab.relationship_group(index) != group:
                raise AnnotationError(f"{where}: field {field_name!r} holds {rel!r}, a "
                                      f"{vocab.relationship_group(index)} relationship")
            relations.append(index)
    if label is None:
        return None
    return AGObject(label=label, box=box, visible=bool(visible),
                    relations=tuple(sorted(set(relations))))


def _parse_box(raw: Any, where: str, xywh: bool) -> Optional[np.ndarray]:
    if raw is None:
        return None
    try:
        box = np.asarray(raw, dtype=np.float32).reshape(-1)
    except (TypeError, ValueError):
        raise AnnotationError(f"{where}: expected 4 numbers, got {raw!r}") from None
    if box.shape[0] != 4 or not np.all(np.isfinite(box)):
        raise AnnotationError(f"{where}: expected 4 finite numbers, got {raw!r}")
    if xywh:
        box = np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]], np.float32)
    if box[2] < box[0] or box[3] < box[1]:
        raise AnnotationError(f"{where}: box has negative width or height: {raw!r}")
    return box


def _parse_person(entry: Any, where: str) -> Tuple[Optional[np.ndarray], Optional[Tuple[int, int]]]:
    if not isinstance(entry, dict) or "bbox" not in entry:
        raise AnnotationError(f"{where}: expected a dict with field 'bbox'")
    try:
        boxes = np.asarray(entry["bbox"], dtype=np.float32).reshape(-1, 4)
    except (TypeError, ValueError):
        raise AnnotationError(f"{where}: field 'bbox' must be an [K, 4] array, "
                              f"got {entry['bbox']!r}") from None
    mode = entry.get("bbox_mode", "xyxy")
    if mode != "xyxy":
        raise AnnotationError(f"{where}: field 'bbox_mode' is {mode!r}, expected 'xyxy'")
    size = entry.get("bbox_size")
    image_size = (int(size[0]), int(size[1])) if size is not None else None
    if boxes.shape[0] == 0:
        return None, image_size
    return _parse_box(boxes[0], f"{where}: field 'bbox'", xywh=False), image_size


def _apply_preset(frames: List[AGFrame], preset: FilterPreset,
                  has_person_boxes: bool) -> List[AGFrame]:
    require_person = preset.require_person_box
    if require_person and not has_person_boxes:
        log.warning("no %s: the '%s' preset cannot require a person box; that criterion is "
                    "skipped for this graph-only data", PERSON_PICKLE, preset.name)
        require_person = False
    kept = [
        f for f in frames
        if (not preset.require_visible_object or f.visible_objects)
        and (not require_person or f.person_box is not None)
    ]
    per_video: Dict[str, int] = {}
    for f in kept:
        per_video[f.video] = per_video.get(f.video, 0) + 1
    return [f for f in kept if per_video[f.video] >= preset.min_frames_per_video]
