"""Prediction CSVs of ST-SGN models: writing them (one split at a time) and scoring them.

A CSV has the columns ``frame_key`` (frame level) or ``video_id`` (video level), ``split``
(which part of the checkpoint's video split the row belongs to: ``train``, ``val``, ``test``,
or ``unseen`` for a video the checkpoint's split does not list), then one column per class
``c000, c001, ...``. Scoring refuses anything that would make the number lie: unknown
videos, missing or unexpected class columns, short rows, non-numeric or non-finite scores,
rows of more than one split, and nothing to score.
"""
from __future__ import annotations

import csv
import math
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from sgfb.utils.atomic_io import atomic_write
from sgfb.data.charades import Charades
from sgfb.evaluation.mean_ap import average_precision_per_class

SPLITS = ("train", "val", "test", "all")
ROW_SPLITS = ("train", "val", "test", "unseen")
PROTOCOL = ("mAP is the mean AP over the classes with at least one positive sample "
            "(Charades protocol); classes without positives are excluded and counted")


def class_columns(num_classes: int) -> List[str]:
    return [f"c{i:03d}" for i in range(num_classes)]


def video_split_of(split: Optional[Dict[str, Sequence[str]]]) -> Callable[[str], str]:
    """``video -> train | val | test | unseen`` from a checkpoint's recorded split."""
    where = {}
    for name in ("train", "val", "test"):
        for video in (split or {}).get(name, ()):
            where[video] = name
    return lambda video: where.get(video, "unseen")


def videos_for(split_name: str, videos: Sequence[str],
               split: Optional[Dict[str, Sequence[str]]]) -> List[str]:
    """The videos of ``videos`` that prediction for ``split_name`` scores.

    ``test`` is every video the checkpoint was not trained or validated on (its recorded test
    videos and any it never saw); ``train`` / ``val`` are the recorded parts; ``all`` is all.
    """
    if split_name not in SPLITS:
        raise ValueError(f"unknown split {split_name!r}; choose from {SPLITS}")
    if split_name == "all":
        return list(videos)
    if split is None and split_name != "test":
        raise ValueError(f"the checkpoint records no video split, so --split {split_name} "
                         "cannot be told apart; use --split all")
    of = video_split_of(split)
    if split_name == "test":
        return [v for v in videos if of(v) in ("test", "unseen")]
    return [v for v in videos if of(v) == split_name]


def write_scores(out: str, level: str, ids: Sequence[str], row_splits: Sequence[str],
                 scores: np.ndarray) -> None:
    header = ["frame_key" if level == "frame" else "video_id", "split"] + \
        class_columns(scores.shape[1])
    with atomic_write(out, "w") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for sample_id, part, row in zip(ids, row_splits, scores):
            writer.writerow([sample_id, part] + [f"{v:.6f}" for v in row])


def _class_indices(path: str, names: Sequence[str]) -> List[int]:
    if not names:
        raise ValueError(f"{path}: no class columns after the id (and split) column; expected "
                         "c000, c001, ...")
    bad = [n for n in names if len(n) < 2 or n[0] != "c" or not n[1:].isdigit()]
    if bad:
        raise ValueError(f"{path}: unexpected columns {bad[:5]}; class columns are named "
                         "c000, c001, ...")
    indices = [int(n[1:]) for n in names]
    if len(set(indices)) != len(indices):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{path}: duplicate class columns {dup[:5]}")
    missing = sorted(set(range(max(indices) + 1)) - set(indices))
    if missing:
        raise ValueError(f"{path}: missing class columns {[f'c{i:03d}' for i in missing[:5]]}"
                         f"{f' and {len(missing) - 5} more' if len(missing) > 5 else ''}")
    return indices


def read_scores(path: str):
    """``(level, split or None, ids, scores [N, K])`` of a prediction CSV, validated."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header or header[0] not in ("frame_key", "video_id"):
            raise ValueError(f"{path}: row 1: first column must be frame_key or video_id, got "
                             f"{header[0] if header else 'an empty file'!r}")
        has_split = len(header) > 1 and header[1] == "split"
        first = 2 if has_split else 1
        columns = _class_indices(path, header[first:])
        ids, splits, rows = [], set(), []
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                which = "missing columns " + str(header[len(row):][:5]) if len(row) < len(header) \
                    else f"{len(row) - len(header)} unexpected extra values"
                raise ValueError(f"{path}: row {number}: {len(row)} values for {len(header)} "
                                 f"columns ({which})")
            try:
                values = [float(v) for v in row[first:]]
            except ValueError:
                bad = next(h for h, v in zip(header[first:], row[first:]) if not _is_float(v))
                raise ValueError(f"{path}: row {number}: column {bad}: score "
                                 f"{row[header.index(bad)]!r} is not a number") from None
            if not all(math.isfinite(v) for v in values):
                bad = next(h for h, v in zip(header[first:], values) if not math.isfinite(v))
                raise ValueError(f"{path}: row {number}: column {bad}: score is not finite")
            ids.append((number, row[0]))
            if has_split:
                splits.add(row[1])
            rows.append(values)
    if len(splits) > 1:
        raise ValueError(f"{path}: rows of several splits {sorted(splits)}; score one split at a "
                         "time (predict_stsgn.py --split)")
    scores = np.zeros((len(rows), max(columns) + 1), np.float64)
    if rows:
        scores[:, columns] = np.asarray(rows, np.float64)
    level = "frame" if header[0] == "frame_key" else "video"
    return level, (splits.pop() if splits else None), ids, scores


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def evaluate_scores(path: str, charades: Charades,
                    fps: Optional[Callable[[str], float]] = None) -> Dict:
    """mAP (Charades protocol), top-1 and per-class AP of a prediction CSV."""
    level, split, ids, scores = read_scores(path)
    if not ids:
        raise ValueError(f"{path}: no rows to score")
    if level == "frame" and fps is None:
        raise ValueError("frame-level evaluation needs frame rates (--fps-table)")
    width = scores.shape[1]
    if charades.class_names is not None and width > charades.num_classes:
        raise ValueError(f"{path}: unexpected class columns c{charades.num_classes:03d}.."
                         f"c{width - 1:03d}: the classes file has {charades.num_classes} classes")
    labels = np.zeros_like(scores)
    for i, (number, sample_id) in enumerate(ids):
        video = sample_id.split("/")[0]
        if video.endswith(".mp4"):
            video = video[:-4]
        if video not in charades:
            raise ValueError(f"{path}: row {number}: video {video!r} has no labels in the given "
                             "Charades CSV(s)")
        try:
            truth = (charades.labels_at_frame(sample_id, fps(video)) if level == "frame"
                     else charades.video_labels(video))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}: row {number}: {exc.args[0] if exc.args else exc}") from None
        beyond = sorted(c for c in truth if c >= width)
        if beyond:
            raise ValueError(f"{path}: row {number}: labelled class c{beyond[0]:03d} has no "
                             f"column (the CSV has c000..c{width - 1:03d})")
        labels[i, list(truth)] = 1
    ap = average_precision_per_class(scores, labels)
    valid = ~np.isnan(ap)
    if not valid.any():
        raise ValueError(f"{path}: none of the {len(ids)} scored samples has a positive label; "
                         "mAP is undefined")
    has_label = labels.sum(1) > 0
    top1 = labels[np.arange(len(ids)), scores.argmax(1)][has_label].mean()
    return {"level": level, "split": split or "unknown (the CSV records none)",
            "samples": len(ids), "mAP": float(ap[valid].mean()), "top1": float(top1),
            "classes_scored": int(valid.sum()), "classes_without_positives": int((~valid).sum()),
            "protocol": PROTOCOL,
            "per_class_ap": {f"c{k:03d}": float(ap[k]) for k in np.flatnonzero(valid)}}


def per_class_table(per_class: Dict[str, float], class_names: Optional[Sequence[str]] = None
                    ) -> str:
    """Markdown table of per-class AP, best first, with names when given."""
    lines = ["| class | name | AP |", "|---|---|---|"]
    for key, value in sorted(per_class.items(), key=lambda kv: (-kv[1], kv[0])):
        k = int(key[1:])
        name = class_names[k] if class_names is not None and k < len(class_names) else ""
        lines.append(f"| {key} | {name} | {value:.4f} |")
    return "\n".join(lines) + "\n"
