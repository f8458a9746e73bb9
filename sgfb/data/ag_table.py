"""Action Genome annotations as compact columns, and the vectorised reader of the pickles.

An AG-size annotation set (288,782 frames, over a million object entries) costs seconds and
gigabytes as one Python object per entry. :class:`AGTable` holds it as a few numpy arrays
(one row per frame, one per object entry); :mod:`sgfb.data.action_genome` builds
``AGFrame`` / ``AGObject`` views of single rows on demand.

:func:`parse_objects` (here) and :func:`~sgfb.data.ag_persons.parse_persons` check every
entry with whole-column operations (``map`` over C-level getters, then numpy) for the
official layout. Anything the fast path does not recognise goes to the per-entry reader, which either reads it (unusual but
valid layouts: lists instead of tuples, arrays instead of lists) or raises
:class:`AnnotationError` naming the file, the frame key and the field.
"""
from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import is_not, itemgetter, methodcaller
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from sgfb.structures import vocab
from sgfb.structures.frame_keys import parse_frame_key

#: Values of an object entry's ``metadata["set"]``, in code order.
SPLITS: Tuple[str, ...] = ("train", "test")
_SPLIT_CODE = {name: i for i, name in enumerate(SPLITS)}
_OBJECT_CODE = {name: vocab.OBJECTS.index(name) for name in vocab.AG_OBJECTS}
_RELATION_CODE = {name: vocab.RELATIONSHIPS.index(name) for name in vocab.AG_RELATIONSHIPS}
_GROUP_OF = np.array([vocab.GROUPS.index(vocab.relationship_group(i))
                      for i in range(len(vocab.AG_RELATIONSHIPS))])
_KEYS = re.compile(r"(?:[^/\n]+\.[A-Za-z0-9]+/[0-9]+\.png\n)*")


class AnnotationError(ValueError):
    """A malformed annotation entry; the message names the file, frame key and field."""


class FastPathMiss(Exception):
    """The fast path met something it does not handle; the per-entry reader decides."""


@dataclass
class AGTable:
    """Frames (rows ``0..N-1``) and their object entries (rows ``0..M-1``), in file order.

    ``split``: index into ``split_names`` per frame, -1 for a frame without objects.
    Frame ``i`` owns objects ``obj_offsets[i]:obj_offsets[i + 1]``. Missing boxes are NaN
    rows; ``relation_bits`` has bit ``r`` set when relationship ``r`` (0..25) holds.
    ``image_sizes``: (width, height), -1 when unknown.
    """

    keys: List[str]
    videos: List[str]               # "VIDEO.mp4" of each frame
    numbers: np.ndarray             # int64 [N], 1-based frame numbers
    split: np.ndarray               # int8 [N]
    split_names: Tuple[str, ...]
    obj_offsets: np.ndarray         # int64 [N + 1]
    labels: np.ndarray              # int16 [M]
    visible: np.ndarray             # bool [M]
    boxes: np.ndarray               # float32 [M, 4] xyxy pixels, NaN: none
    relation_bits: np.ndarray       # uint32 [M]
    person_boxes: np.ndarray        # float32 [N, 4] xyxy pixels, NaN: none
    image_sizes: np.ndarray         # int32 [N, 2]

    def __len__(self) -> int:
        return len(self.keys)

    def object_rows(self, frame_rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(frame, objects)``: the object rows of frames ``frame_rows`` in that order, and
        for each the position in ``frame_rows`` of the frame that owns it."""
        frame_rows = np.asarray(frame_rows, np.int64)
        begins = self.obj_offsets[frame_rows]
        lengths = self.obj_offsets[frame_rows + 1] - begins
        placed = np.cumsum(lengths) - lengths       # where each frame's objects start here
        objects = np.arange(int(lengths.sum())) + np.repeat(begins - placed, lengths)
        return np.repeat(np.arange(len(frame_rows)), lengths), objects

    def visible_counts(self) -> np.ndarray:
        """Visible objects per frame, int64 [N]."""
        cumulative = np.concatenate([[0], np.cumsum(self.visible, dtype=np.int64)])
        return cumulative[self.obj_offsets[1:]] - cumulative[self.obj_offsets[:-1]]


def relations_of(bits: int) -> Tuple[int, ...]:
    """Sorted relationship indices of a ``relation_bits`` value."""
    return _RELATIONS_CACHE.get(bits) or _RELATIONS_CACHE.setdefault(
        bits, tuple(i for i in range(len(vocab.AG_RELATIONSHIPS)) if bits >> i & 1))


_RELATIONS_CACHE: Dict[int, Tuple[int, ...]] = {0: ()}


def relation_bits(relations: Sequence[int]) -> int:
    bits = 0
    for r in relations:
        bits |= 1 << int(r)
    return bits


# ------------------------------------------------------------------ object pickle
@dataclass
class ObjectColumns:
    keys: List[str]
    videos: List[str]
    numbers: np.ndarray
    split: np.ndarray
    obj_offsets: np.ndarray
    labels: np.ndarray
    visible: np.ndarray
    boxes: np.ndarray
    relation_bits: np.ndarray


def parse_objects(objects: Dict[Any, Any], source: str) -> ObjectColumns:
    """Columns of an ``object_bbox_and_relationship.pkl`` dict (see the module docstring)."""
    try:
        return _fast_objects(objects)
    except (FastPathMiss, KeyError, TypeError, ValueError, OverflowError, AttributeError):
        return _slow_objects(objects, source)


def column(entries: List[dict], name: str, default: Any = None) -> List[Any]:
    """``entry.get(name, default)`` of every entry (one C-level pass when all have it)."""
    try:
        return list(map(itemgetter(name), entries))
    except KeyError:
        return list(map(methodcaller("get", name, default), entries))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block. Reading a large pickle creates
    millions of containers and no cycles; the collector would scan them again and again
    (it roughly halves the time of unpickling and checking an AG-size set)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def all_of_types(values: Sequence[Any], types: Tuple[type, ...]) -> bool:
    return set(map(type, values)) <= set(types)


def _fast_keys(keys: List[Any]) -> Tuple[List[str], np.ndarray]:
    if not all_of_types(keys, (str,)) or not _KEYS.fullmatch("\n".join(keys) + "\n" if keys else ""):
        raise FastPathMiss
    parts = list(map(methodcaller("rpartition", "/"), keys))
    videos = list(map(itemgetter(0), parts))
    digits = list(map(itemgetter(slice(0, -4)), map(itemgetter(2), parts)))
    numbers = np.array(digits, dtype=np.str_).astype(np.int64) if digits else np.zeros(0, np.int64)
    if numbers.size and numbers.min() < 1:
        raise FastPathMiss
    return videos, numbers


def _fast_objects(objects: Dict[Any, Any]) -> ObjectColumns:
    keys, values = list(objects), list(objects.values())
    if not all_of_types(values, (list,)):
        raise FastPathMiss
    videos, numbers = _fast_keys(keys)
    n = len(keys)
    counts = np.fromiter(map(len, values), np.int64, n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    entries = list(chain.from_iterable(values))
    m = len(entries)
    if not all_of_types(entries, (dict,)):
        raise FastPathMiss
    labels = np.fromiter(map(_OBJECT_CODE.__getitem__, map(itemgetter("class"), entries)),
                         np.int16, m)
    visible_raw = column(entries, "visible", True)
    if not all_of_types(visible_raw, (bool, np.bool_)):
        raise FastPathMiss
    visible = np.array(visible_raw, dtype=bool).reshape(m)
    boxes = _fast_boxes(column(entries, "bbox"))
    bits = np.zeros(m, np.uint32)
    for group_index, field in enumerate(vocab.GROUP_PICKLE_KEYS.values()):
        raw = column(entries, field)
        present = np.fromiter(map(is_not, raw, repeat(None)), bool, m)
        lists = list(compress(raw, present))
        if not all_of_types(lists, (list, tuple)):
            raise FastPathMiss
        lengths = np.fromiter(map(len, lists), np.int64, len(lists))
        names = list(chain.from_iterable(lists))
        index = np.fromiter(map(_RELATION_CODE.__getitem__, names), np.int64, len(names))
        if np.any(_GROUP_OF[index] != group_index):
            raise FastPathMiss
        owner = np.repeat(np.flatnonzero(present), lengths)
        np.bitwise_or.at(bits, owner, np.left_shift(np.uint32(1), index.astype(np.uint32)))
    metadata = column(entries, "metadata")
    if not all_of_types(metadata, (dict,)):
        raise FastPathMiss
    codes = np.fromiter(map(_SPLIT_CODE.__getitem__, column(metadata, "set")),
                        np.int8, m)
    split = np.full(n, -1, np.int8)
    nonempty = counts > 0
    split[nonempty] = codes[offsets[:-1][nonempty]]
    if np.any(codes != np.repeat(split, counts)):
        raise FastPathMiss
    return ObjectColumns(keys, videos, numbers, split, offsets, labels, visible, boxes, bits)


def _fast_boxes(raw: List[Any]) -> np.ndarray:
    m = len(raw)
    present = np.fromiter(map(is_not, raw, repeat(None)), bool, m)
    given = list(compress(raw, present))
    if not all_of_types(given, (tuple, list)) or not set(map(len, given)) <= {4}:
        raise FastPathMiss
    numbers = list(chain.from_iterable(given))
    if not all_of_types(numbers, (float, int, np.float32, np.float64)):
        raise FastPathMiss
    xywh = np.array(numbers, dtype=np.float32).reshape(-1, 4)
    if not np.all(np.isfinite(xywh)):
        raise FastPathMiss
    xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
    if np.any(xyxy[:, 2:] < xyxy[:, :2]):
        raise FastPathMiss
    boxes = np.full((m, 4), np.nan, np.float32)
    boxes[present] = xyxy
    return boxes


def _slow_objects(objects: Dict[Any, Any], source: str) -> ObjectColumns:
    unknown_objects: Dict[str, str] = {}
    unknown_relations: Dict[str, Tuple[str, str]] = {}
    keys, videos, numbers, splits, counts = [], [], [], [], []
    labels, visible, boxes, bits = [], [], [], []
    for key, entries in objects.items():
        video, number = parse_frame_key(key, source=source)
        where = f"{source}: frame {key!r}"
        if not isinstance(entries, list):
            raise AnnotationError(f"{where}: expected a list of objects, "
                                  f"got {type(entries).__name__}")
        frame_splits = set()
        for i, entry in enumerate(entries):
            label, box, seen, relations, split = _parse_object(
                entry, f"{where} object {i}", unknown_objects, unknown_relations, key)
            frame_splits.add(split)
            labels.append(label)
            boxes.append(box if box is not None else np.full(4, np.nan, np.float32))
            visible.append(seen)
            bits.append(relation_bits(relations))
        if len(frame_splits) > 1:
            raise AnnotationError(f"{where}: field 'metadata.set' disagrees between objects: "
                                  f"{sorted(frame_splits)}")
        keys.append(key)
        videos.append(video)
        numbers.append(number)
        splits.append(_SPLIT_CODE[frame_splits.pop()] if frame_splits else -1)
        counts.append(len(entries))
    if unknown_objects or unknown_relations:
        parts = []
        if unknown_objects:
            parts.append("object classes " + ", ".join(
                f"{n!r} (field 'class', e.g. frame {k!r})"
                for n, k in sorted(unknown_objects.items())))
        if unknown_relations:
            parts.append("relationship classes " + ", ".join(
                f"{n!r} (field {f!r}, e.g. frame {k!r})"
                for n, (k, f) in sorted(unknown_relations.items())))
        raise AnnotationError(f"{source}: unknown {'; '.join(parts)}")
    offsets = np.zeros(len(keys) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ObjectColumns(
        keys, videos, np.array(numbers, np.int64), np.array(splits, np.int8), offsets,
        np.array(labels, np.int16), np.array(visible, bool),
        np.array(boxes, np.float32).reshape(-1, 4), np.array(bits, np.uint32))


def _parse_object(entry: Any, where: str, unknown_objects: Dict[str, str],
                  unknown_relations: Dict[str, Tuple[str, str]], key: str):
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
    box = parse_box(entry.get("bbox"), f"{where}: field 'bbox'", xywh=True)
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
                unknown_relations.setdefault(str(rel), (key, field_name))
                continue
            if vocab.relationship_group(index) != group:
                raise AnnotationError(f"{where}: field {field_name!r} holds {rel!r}, a "
                                      f"{vocab.relationship_group(index)} relationship")
            relations.append(index)
    meta = entry.get("metadata")
    if not isinstance(meta, dict):
        raise AnnotationError(f"{where}: field 'metadata' must be a dict with 'set' "
                              f"{' or '.join(map(repr, SPLITS))}, got {meta!r}")
    split = meta.get("set")
    if not isinstance(split, str) or split not in _SPLIT_CODE:
        what = "is missing" if "set" not in meta else f"is {split!r}"
        raise AnnotationError(f"{where}: field 'metadata.set' {what}; expected "
                              f"{' or '.join(map(repr, SPLITS))}")
    return (label if label is not None else -1), box, bool(visible), relations, split


def short_repr(value: Any) -> str:
    """``repr`` of a bad value, shape and dtype for arrays (their repr can be huge)."""
    if isinstance(value, np.ndarray):
        return (f"an array of shape {value.shape} ({value.dtype}): "
                f"{np.array2string(value, threshold=8)}")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_box(raw: Any, where: str, xywh: bool) -> Optional[np.ndarray]:
    """``[4]`` float32 xyxy box of an entry (None stays None); AnnotationError when bad."""
    if raw is None:
        return None
    try:
        box = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError):
        raise AnnotationError(f"{where}: expected 4 numbers, got {short_repr(raw)}") from None
    if isinstance(raw, str) or box.shape != (4,) or not np.all(np.isfinite(box)):
        raise AnnotationError(f"{where}: expected 4 finite numbers, got {short_repr(raw)}")
    if xywh:
        box = np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]], np.float32)
    if box[2] < box[0] or box[3] < box[1]:
        raise AnnotationError(f"{where}: box has negative width or height: {short_repr(raw)}")
    return box
