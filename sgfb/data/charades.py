"""Charades annotation reader (``Charades_v1_train.csv`` / ``Charades_v1_test.csv``).

The CSVs have CRLF line endings, quoted fields and an ``actions`` column such as
``"c092 11.90 21.20;c147 0.00 12.60"`` (class, start s, end s), which may be empty.
Class names are read from the user's ``Charades_v1_classes.txt`` (never shipped here).

An action (class, start, end) is in progress at time t when start <= t <= end
(DESIGN.md "Contracts").
"""
from __future__ import annotations

import csv
import logging
import math
import os
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import numpy as np

from sgfb.data.frame_keys import frame_time, parse_frame_key

_CLASS_ID = re.compile(r"^c(\d{3,})$")
REQUIRED_COLUMNS = ("id", "actions", "length")
CHARADES_CLASSES = 157  # c000-c156; a classes file sets another count
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionInstance:
    """One action instance: class index (``c092`` -> 92), start and end in seconds."""

    label: int
    start: float
    end: float

    def active_at(self, t: float) -> bool:
        return self.start <= t <= self.end

    def overlaps(self, start: float, end: float) -> bool:
        return self.start <= end and start <= self.end


@dataclass
class CharadesVideo:
    id: str
    length: float                       # seconds
    actions: List[ActionInstance]
    split: str = ""                     # "train" / "test" (from the file name), or ""
    fields: Dict[str, str] = field(default_factory=dict, repr=False)  # remaining columns


def parse_class_id(token: str, where: str = "") -> int:
    match = _CLASS_ID.match(token.strip())
    if match is None:
        raise ValueError(f"{where}: malformed action class {token!r}, expected like 'c092'")
    return int(match.group(1))


def _time(text: str, what: str, item: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: field 'actions': {what} {text!r} of {item!r} is not a "
                         "number") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: field 'actions': {what} {text!r} of {item!r} is not a "
                         "finite time >= 0")
    return value


def parse_actions(text: str, where: str = "", num_classes: Optional[int] = None,
                  reversed_out: Optional[List[str]] = None) -> List[ActionInstance]:
    """``"c092 11.90 21.20;c147 0.00 12.60"`` -> instances; empty text -> [].

    Every time must be a finite number >= 0 and every class below ``num_classes`` (when
    given); anything else raises ValueError naming ``where``, the field and the value. An
    action whose start lies after its end is in progress at no time: it is left out and, when
    ``reversed_out`` is given, described there (the official ``Charades_v1_train.csv`` has 7).
    """
    out = []
    for item in filter(None, (s.strip() for s in (text or "").split(";"))):
        parts = item.split()
        if len(parts) != 3:
            raise ValueError(f"{where}: malformed action {item!r}, expected 'cNNN START END'")
        label = parse_class_id(parts[0], where)
        if num_classes is not None and label >= num_classes:
            raise ValueError(f"{where}: field 'actions': unknown class {parts[0]!r} (the "
                             f"classes are c000-c{num_classes - 1:03d})")
        start, end = _time(parts[1], "start", item, where), _time(parts[2], "end", item, where)
        if start > end:
            if reversed_out is not None:
                reversed_out.append(f"{where}: {item!r}")
            continue
        out.append(ActionInstance(label, start, end))
    return out


def read_classes(path: str) -> List[str]:
    """Class names of ``Charades_v1_classes.txt`` (``c000 Holding some clothes``), by index."""
    names: Dict[int, str] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            token, _, name = line.partition(" ")
            names[parse_class_id(token, f"{path}:{n}")] = name.strip()
    missing = sorted(set(range(len(names))) - set(names))
    if missing:
        raise ValueError(f"{path}: class ids are not contiguous from c000; missing {missing[:5]}")
    return [names[i] for i in range(len(names))]


def read_csv(path: str, num_classes: Optional[int] = CHARADES_CLASSES,
             lenient: bool = False) -> List[CharadesVideo]:
    """Videos of one Charades CSV, in file order, every row validated.

    A row with a malformed or non-finite length, a malformed, negative or non-finite time, or
    a class id ``>= num_classes`` raises ValueError naming the file, line, video, field and
    value; with ``lenient`` such rows are skipped and counted in a warning instead. Actions
    whose start lies after their end are dropped with one warning (see :func:`parse_actions`).
    """
    split = "test" if "test" in os.path.basename(path).lower() else (
        "train" if "train" in os.path.basename(path).lower() else "")
    skipped: List[str] = []
    reversed_actions: List[str] = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {missing} (found {reader.fieldnames})")
        videos = []
        for row in reader:
            where = f"{path}: line {reader.line_num}, video {row['id']!r}"
            try:
                videos.append(_parse_row(row, where, split, num_classes, reversed_actions))
            except ValueError as err:
                if not lenient:
                    raise
                skipped.append(str(err))
    if skipped:
        log.warning("%s: skipped %d invalid rows (--lenient); first: %s", path, len(skipped),
                    skipped[0])
    if reversed_actions:
        log.warning("%s: left out %d actions whose start lies after their end (in progress at "
                    "no time); first: %s", path, len(reversed_actions), reversed_actions[0])
    return videos


def _parse_row(row: Dict[str, Optional[str]], where: str, split: str,
               num_classes: Optional[int], reversed_out: List[str]) -> CharadesVideo:
    if None in row or any(v is None for v in row.values()):
        raise ValueError(f"{where}: the row has {'more' if None in row else 'fewer'} fields "
                         "than the header")
    try:
        length = float(row["length"])
    except (TypeError, ValueError):
        raise ValueError(f"{where}: field 'length' is not a number: {row['length']!r}") from None
    if not math.isfinite(length) or length < 0:
        raise ValueError(f"{where}: field 'length' is not a finite duration >= 0: "
                         f"{row['length']!r}")
    actions = parse_actions(row["actions"], where, num_classes, reversed_out)
    rest = {k: v for k, v in row.items() if k not in REQUIRED_COLUMNS}
    return CharadesVideo(row["id"], length, actions, split, rest)


class Charades:
    """Charades videos and their action labels, from one or more CSVs.

    ``num_classes`` comes from the classes file when given, else from the largest class id
    seen (157 on the real data).
    """

    def __init__(self, videos: Iterable[CharadesVideo], class_names: Optional[Sequence[str]] = None,
                 source: str = "<memory>") -> None:
        self.videos: Dict[str, CharadesVideo] = {}
        for v in videos:
            if v.id in self.videos:
                raise ValueError(f"{source}: video {v.id!r} appears twice")
            self.videos[v.id] = v
        self.class_names = list(class_names) if class_names is not None else None
        seen = max((a.label for v in self.videos.values() for a in v.actions), default=-1)
        if self.class_names is not None and seen >= len(self.class_names):
            raise ValueError(f"{source}: action class c{seen:03d} is beyond the "
                             f"{len(self.class_names)} classes of the classes file")
        self.num_classes = len(self.class_names) if self.class_names is not None else seen + 1
        self.source = source

    @classmethod
    def load(cls, csv_paths: str | Sequence[str], classes: Optional[str] = None,
             lenient: bool = False) -> "Charades":
        """Read CSVs (validated row by row, see :func:`read_csv`). Class ids must be below the
        classes file's count, or below Charades' 157 when no classes file is given."""
        paths = [csv_paths] if isinstance(csv_paths, str) else list(csv_paths)
        names = read_classes(classes) if classes else None
        limit = len(names) if names is not None else CHARADES_CLASSES
        videos = [v for p in paths for v in read_csv(p, limit, lenient)]
        return cls(videos, names, source=", ".join(paths))

    def __len__(self) -> int:
        return len(self.videos)

    def __iter__(self) -> Iterator[CharadesVideo]:
        return iter(self.videos.values())

    def __contains__(self, video_id: object) -> bool:
        return isinstance(video_id, str) and os.path.splitext(video_id)[0] in self.videos

    def __getitem__(self, video_id: str) -> CharadesVideo:
        key = os.path.splitext(video_id)[0]
        try:
            return self.videos[key]
        except KeyError:
            raise KeyError(f"video {video_id!r} is not in {self.source}") from None

    # ------------------------------------------------------------------ labels
    def labels_at(self, video_id: str, t: float) -> Set[int]:
        """Classes in progress at ``t`` seconds (start <= t <= end)."""
        return {a.label for a in self[video_id].actions if a.active_at(t)}

    def labels_over(self, video_id: str, start: float, end: float) -> Set[int]:
        """Classes whose interval overlaps [start, end] (clip labels)."""
        return {a.label for a in self[video_id].actions if a.overlaps(start, end)}

    def video_labels(self, video_id: str) -> Set[int]:
        """Every class that occurs in the video."""
        return {a.label for a in self[video_id].actions}

    def labels_at_frame(self, frame_key: str, fps: float) -> Set[int]:
        """Classes in progress at an Action Genome frame (time = (n - 1) / fps)."""
        video, number = parse_frame_key(frame_key)
        return self.labels_at(video, frame_time(number, fps))

    def multi_hot(self, labels: Iterable[int]) -> np.ndarray:
        """``[num_classes]`` float32 0/1 vector."""
        out = np.zeros(self.num_classes, np.float32)
        out[list(labels)] = 1.0
        return out

    def class_name(self, label: int) -> str:
        return self.class_names[label] if self.class_names else f"c{label:03d}"


def action_instances(videos: Iterable[CharadesVideo]) -> List[Tuple[str, ActionInstance]]:
    """(video id, instance) for every action instance, in order."""
    return [(v.id, a) for v in videos for a in v.actions]
