"""The ``person_bbox.pkl`` half of the Action Genome reader (see :mod:`sgfb.data.ag_table`).

:func:`parse_persons` turns the person entries of the frames into two columns (first person
box, image size) with whole-column checks; an entry the fast path does not accept goes to
:func:`parse_person`, which reads it or raises :class:`AnnotationError` naming the file, the
frame key and the field.
"""
from __future__ import annotations

from itertools import chain, compress, repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from sgfb.data.ag_table import (AnnotationError, FastPathMiss, all_of_types, column, parse_box,
                                short_repr)

_NUMBER_TYPES = (int, np.integer)


def parse_persons(persons: Dict[Any, Any], keys: List[str],
                  source: str) -> Tuple[np.ndarray, np.ndarray]:
    """Person boxes (float32 [N, 4], NaN: none) and image sizes (int32 [N, 2], -1: unknown)
    of frames ``keys`` from a ``person_bbox.pkl`` dict; frames it lacks have neither."""
    entries = list(map(persons.get, keys))
    try:
        return _fast_persons(entries)
    except (FastPathMiss, KeyError, TypeError, ValueError, OverflowError, AttributeError):
        return _slow_persons(entries, keys, source)


def _fast_persons(entries: List[Any]) -> Tuple[np.ndarray, np.ndarray]:
    n = len(entries)
    present = np.fromiter(map(is_not, entries, repeat(None)), bool, n)
    given = list(compress(entries, present))
    if not all_of_types(given, (dict,)):
        raise FastPathMiss
    arrays = list(map(itemgetter("bbox"), given))
    if not all_of_types(arrays, (np.ndarray,)):
        raise FastPathMiss
    filled = np.fromiter(map(attrgetter("size"), arrays), np.int64, len(arrays)) > 0
    boxed = list(compress(arrays, filled))      # empty arrays of any shape: no person box
    shapes = list(map(attrgetter("shape"), boxed))
    if set(map(len, shapes)) - {2} or set(map(itemgetter(1), shapes)) - {4}:
        raise FastPathMiss
    counts = np.zeros(len(arrays), np.int64)
    counts[filled] = np.fromiter(map(itemgetter(0), shapes), np.int64, len(shapes))
    if set(column(given, "bbox_mode", "xyxy")) - {"xyxy"}:
        raise FastPathMiss
    person_boxes = np.full((n, 4), np.nan, np.float32)
    if boxed:
        stacked = np.concatenate(boxed).astype(np.float32)
        if not np.all(np.isfinite(stacked)) or np.any(stacked[:, 2:] < stacked[:, :2]):
            raise FastPathMiss
        starts = np.concatenate([[0], np.cumsum(counts[filled])[:-1]])
        person_boxes[np.flatnonzero(present)[filled]] = stacked[starts]
    sizes = column(given, "bbox_size")
    has_size = np.fromiter(map(is_not, sizes, repeat(None)), bool, len(sizes))
    sized = list(compress(sizes, has_size))
    if not all_of_types(sized, (tuple, list)) or set(map(len, sized)) - {2}:
        raise FastPathMiss
    values = list(chain.from_iterable(sized))
    if not all_of_types(values, (int, np.int32, np.int64)):
        raise FastPathMiss
    size_array = np.array(values, np.int64).reshape(-1, 2)
    if size_array.size and (size_array.min() < 1 or size_array.max() > np.iinfo(np.int32).max):
        raise FastPathMiss
    image_sizes = np.full((n, 2), -1, np.int32)
    image_sizes[np.flatnonzero(present)[has_size]] = size_array
    return person_boxes, image_sizes


def _slow_persons(entries: List[Any], keys: List[str],
                  source: str) -> Tuple[np.ndarray, np.ndarray]:
    person_boxes = np.full((len(keys), 4), np.nan, np.float32)
    image_sizes = np.full((len(keys), 2), -1, np.int32)
    for row, (key, entry) in enumerate(zip(keys, entries)):
        if entry is None:
            continue
        box, size = parse_person(entry, f"{source}: frame {key!r}")
        if box is not None:
            person_boxes[row] = box
        if size is not None:
            image_sizes[row] = size
    return person_boxes, image_sizes


def parse_person(entry: Any, where: str) -> Tuple[Optional[np.ndarray], Optional[Tuple[int, int]]]:
    """First person box and the image size (width, height) of one ``person_bbox.pkl`` entry."""
    if not isinstance(entry, dict) or "bbox" not in entry:
        raise AnnotationError(f"{where}: expected a dict with field 'bbox'")
    raw = entry["bbox"]
    try:
        boxes = np.asarray(raw, dtype=np.float32)
    except (TypeError, ValueError):
        boxes = None
    if boxes is None or (boxes.size and (boxes.ndim != 2 or boxes.shape[1] != 4)):
        raise AnnotationError(f"{where}: field 'bbox' must be a [K, 4] array of xyxy boxes, "
                              f"got {short_repr(raw)}")
    mode = entry.get("bbox_mode", "xyxy")
    if mode != "xyxy":
        raise AnnotationError(f"{where}: field 'bbox_mode' is {mode!r}, expected 'xyxy'")
    image_size = _parse_size(entry.get("bbox_size"), f"{where}: field 'bbox_size'")
    if boxes.size == 0:
        return None, image_size
    for k, box in enumerate(boxes):
        parse_box(box, f"{where}: field 'bbox' row {k}", xywh=False)
    return boxes[0].copy(), image_size


def _parse_size(size: Any, where: str) -> Optional[Tuple[int, int]]:
    if size is None:
        return None
    ok = (isinstance(size, (tuple, list, np.ndarray)) and len(size) == 2
          and all(isinstance(v, _NUMBER_TYPES) and not isinstance(v, (bool, np.bool_))
                  and 1 <= v <= np.iinfo(np.int32).max for v in size))
    if not ok:
        raise AnnotationError(f"{where}: expected (width, height), two positive integers, "
                              f"got {size!r}")
    return int(size[0]), int(size[1])
