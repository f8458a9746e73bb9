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
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from sgfb.data.ag_persons import parse_persons
from sgfb.data.ag_table import (SPLITS, AGTable, AnnotationError, gc_paused, parse_objects,
                                relation_bits, relations_of)
from sgfb.structures import vocab
from sgfb.structures.frame_keys import parse_frame_key
from sgfb.data.safe_pickle import load_pickle
from sgfb.structures.scene_graph import SceneGraph

log = logging.getLogger(__name__)

OBJECT_PICKLE = "object_bbox_and_relationship.pkl"
PERSON_PICKLE = "person_bbox.pkl"
FRAME_LIST = "frame_list.txt"


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
    """Frames of an Action Genome annotation set, grouped by video in frame order.

    The annotations are held as compact columns (:class:`~sgfb.data.ag_table.AGTable`);
    ``frames``, ``ag[key]`` and iteration build :class:`AGFrame` views on demand, so a frame
    read twice is two equal objects, not one.
    """

    def __init__(self, frames: Sequence[AGFrame], fps: FpsSource = None,
                 has_person_boxes: bool = False, source: str = "<memory>") -> None:
        table = _table_from_frames(list({f.key: f for f in frames}.values()))  # a key once
        self._setup(table, np.arange(len(table)), fps, has_person_boxes, source)

    def _setup(self, table: AGTable, rows: np.ndarray, fps: FpsSource,
               has_person_boxes: bool, source: str) -> None:
        self.table = table
        rows = np.asarray(rows, np.int64)
        videos = np.array([table.videos[r] for r in rows] if len(rows) != len(table)
                          else table.videos, dtype=np.str_).reshape(-1)
        order = np.lexsort((table.numbers[rows], videos))
        self._rows = rows[order]
        sorted_keys = [table.keys[r] for r in self._rows.tolist()]
        self._row_of: Dict[str, int] = dict(zip(sorted_keys, self._rows.tolist()))
        self.videos: Dict[str, List[str]] = {}
        sorted_videos = videos[order]
        starts = np.flatnonzero(np.r_[True, sorted_videos[1:] != sorted_videos[:-1]]) \
            if len(order) else np.zeros(0, np.int64)
        bounds = np.r_[starts, len(order)].tolist()
        self._video_spans: Dict[str, List[Tuple[int, int]]] = {}
        for begin, end in zip(bounds[:-1], bounds[1:]):
            video_id = os.path.splitext(str(sorted_videos[begin]))[0]
            self.videos.setdefault(video_id, []).extend(sorted_keys[begin:end])
            self._video_spans.setdefault(video_id, []).append((begin, end))
        self.frames: Mapping[str, AGFrame] = _FrameView(self, sorted_keys)
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

        Every entry is validated (:class:`AnnotationError` names the file, frame key and
        field). The pickles are read one at a time and dropped once turned into columns, so
        the peak memory stays below holding both pickles.
        """
        if preset not in PRESETS:
            raise ValueError(f"unknown filter preset {preset!r}; choose from {sorted(PRESETS)}")
        object_pickle, person_pickle = _locate(path, person_pickle)
        if os.path.isdir(path):
            vocab.check_against_official(*vocab.find_class_files(path))
        with gc_paused():   # millions of new containers, no cycles: see gc_paused
            objects = load_pickle(object_pickle)
            if not isinstance(objects, dict):
                raise AnnotationError(f"{object_pickle}: expected a dict of frame key -> "
                                      f"objects, got {type(objects).__name__}")
            columns = parse_objects(objects, object_pickle)
            del objects
            n = len(columns.keys)
            person_boxes = np.full((n, 4), np.nan, np.float32)
            image_sizes = np.full((n, 2), -1, np.int32)
            if person_pickle:
                persons = load_pickle(person_pickle)
                if not isinstance(persons, dict):
                    raise AnnotationError(f"{person_pickle}: expected a dict of frame key -> "
                                          "person entry")
                person_boxes, image_sizes = parse_persons(persons, columns.keys, person_pickle)
                del persons
            table = AGTable(columns.keys, columns.videos, columns.numbers, columns.split, SPLITS,
                            columns.obj_offsets, columns.labels, columns.visible, columns.boxes,
                            columns.relation_bits, person_boxes, image_sizes)
            keep = np.ones(n, bool)
            if split is not None:
                keep &= table.split == (SPLITS.index(split) if split in SPLITS else -2)
            rows = _apply_preset(table, keep, PRESETS[preset], person_pickle is not None)
            ag = cls.__new__(cls)
            ag._setup(table, rows, fps, person_pickle is not None, object_pickle)
            return ag

    def frame(self, row: int) -> AGFrame:
        """The :class:`AGFrame` of table row ``row``."""
        t = self.table
        begin, end = int(t.obj_offsets[row]), int(t.obj_offsets[row + 1])
        boxes = t.boxes[begin:end]
        objects = [
            AGObject(label=label, box=None if box[0] != box[0] else box.copy(),
                     visible=seen, relations=relations_of(bits))
            for label, box, seen, bits in zip(t.labels[begin:end].tolist(), boxes,
                                              t.visible[begin:end].tolist(),
                                              t.relation_bits[begin:end].tolist())
        ]
        person = t.person_boxes[row]
        size = t.image_sizes[row]
        code = int(t.split[row])
        return AGFrame(key=t.keys[row], video=t.videos[row], frame_number=int(t.numbers[row]),
                       split=t.split_names[code] if code >= 0 else None, objects=objects,
                       person_box=None if np.isnan(person[0]) else person.copy(),
                       image_size=(int(size[0]), int(size[1])) if size[0] >= 0 else None)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[AGFrame]:
        return (self.frame(row) for row in self._rows.tolist())

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

    @property
    def rows(self) -> np.ndarray:
        """Rows of :attr:`table` holding this set's frames, in (video, frame number) order."""
        return self._rows

    def video_rows(self, video_id: str) -> np.ndarray:
        """Rows of :attr:`table` holding the frames of a video (id), in frame order (the
        order of ``videos[video_id]``)."""
        if video_id not in self.videos:
            raise KeyError(f"video {video_id!r} is not in {self.source}")
        return np.concatenate([self._rows[b:e] for b, e in self._video_spans[video_id]])

    def frame_times(self, video_id: str) -> np.ndarray:
        """float64 seconds of the frames of a video (id), in frame order: the values of
        :meth:`frame_time` for ``videos[video_id]``, computed at once."""
        if video_id not in self.videos:
            raise KeyError(f"video {video_id!r} is not in {self.source}")
        parts = [np.zeros(0, np.float64)]
        for begin, end in self._video_spans[video_id]:   # one span per video file name
            rows = self._rows[begin:end]
            fps = self.fps(self.table.videos[int(rows[0])])
            parts.append((self.table.numbers[rows] - 1).astype(np.float64) / fps)
        return np.concatenate(parts)

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


class _FrameView(MappingABC):
    """``key -> AGFrame`` over an :class:`ActionGenome`, in (video, frame number) order."""

    def __init__(self, ag: ActionGenome, keys: List[str]) -> None:
        self._ag, self._keys = ag, keys

    def __getitem__(self, key: str) -> AGFrame:
        return self._ag.frame(self._ag._row_of[key])

    def __contains__(self, key: object) -> bool:
        return key in self._ag._row_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _table_from_frames(frames: List[AGFrame]) -> AGTable:
    names = SPLITS + tuple(sorted({f.split for f in frames if f.split is not None} - set(SPLITS)))
    counts = [len(f.objects) for f in frames]
    offsets = np.zeros(len(frames) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    objects = [o for f in frames for o in f.objects]
    nan4 = np.full(4, np.nan, np.float32)
    return AGTable(
        keys=[f.key for f in frames], videos=[f.video for f in frames],
        numbers=np.array([f.frame_number for f in frames], np.int64),
        split=np.array([names.index(f.split) if f.split is not None else -1 for f in frames],
                       np.int8),
        split_names=names, obj_offsets=offsets,
        labels=np.array([o.label for o in objects], np.int16),
        visible=np.array([o.visible for o in objects], bool),
        boxes=np.array([o.box if o.box is not None else nan4 for o in objects],
                       np.float32).reshape(-1, 4),
        relation_bits=np.array([relation_bits(o.relations) for o in objects], np.uint32),
        person_boxes=np.array([f.person_box if f.person_box is not None else nan4
                               for f in frames], np.float32).reshape(-1, 4),
        image_sizes=np.array([f.image_size if f.image_size is not None else (-1, -1)
                              for f in frames], np.int32).reshape(-1, 2),
    )


def _apply_preset(table: AGTable, keep: np.ndarray, preset: FilterPreset,
                  has_person_boxes: bool) -> np.ndarray:
    """Table rows kept by ``preset`` among those ``keep`` marks."""
    require_person = preset.require_person_box
    if require_person and not has_person_boxes:
        log.warning("no %s: the '%s' preset cannot require a person box; that criterion is "
                    "skipped for this graph-only data", PERSON_PICKLE, preset.name)
        require_person = False
    keep = keep.copy()
    if preset.require_visible_object:
        keep &= table.visible_counts() > 0
    if require_person:
        keep &= ~np.isnan(table.person_boxes[:, 0])
    rows = np.flatnonzero(keep)
    if preset.min_frames_per_video > 1 and len(rows):
        videos = np.array([table.videos[r] for r in rows.tolist()], dtype=np.str_)
        _, inverse, counts = np.unique(videos, return_inverse=True, return_counts=True)
        rows = rows[counts[inverse] >= preset.min_frames_per_video]
    return rows
