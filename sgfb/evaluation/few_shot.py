"""Few-shot action recognition on Charades (Action Genome paper §5.2).

The 157 classes are split at random (seeded) into 137 base and 20 novel classes. A backbone
is trained on the base classes; each model is then trained on ``k`` videos of every novel
class (k = 1, 5, 10) and evaluated on all validation videos of the novel classes, with labels
restricted to the novel classes (:func:`restrict_labels`).

Selecting the k-shot training videos (:func:`k_shot_videos`): a video is a positive of a
class when the class occurs in it (any instance, whatever its length). Charades videos hold
several actions, so one video can be a positive of several novel classes. Classes are
visited in increasing index order; a class first counts the videos already chosen that
contain it and then draws only the missing ones, uniformly (seeded), from its positives not
yet chosen. Hence every novel class has at least ``k`` positives among the chosen videos
(all of its positives when it has fewer than ``k``), possibly more through co-occurrence, and
the selection holds at most ``k * len(novel)`` videos. A chosen video keeps all its labels;
training on it uses its novel-class labels only.
"""
from __future__ import annotations

import json
import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from sgfb.utils.atomic_io import write_json
from sgfb.data.charades import Charades

SPLIT_FORMAT = 1


def few_shot_split(num_classes: int = 157, num_novel: int = 20,
                   seed: int = 0) -> Tuple[List[int], List[int]]:
    """``(base, novel)`` sorted class indices: ``num_novel`` classes drawn without
    replacement (``numpy.random.default_rng(seed)``), the rest are base."""
    if not 0 < num_novel < num_classes:
        raise ValueError(f"num_novel must be in 1..{num_classes - 1}, got {num_novel}")
    rng = np.random.default_rng(seed)
    novel = sorted(int(c) for c in rng.choice(num_classes, size=num_novel, replace=False))
    chosen = set(novel)
    base = [c for c in range(num_classes) if c not in chosen]
    return base, novel


def _check_split(base: Sequence[int], novel: Sequence[int], num_classes: int,
                 where: str) -> None:
    b, n = [int(c) for c in base], [int(c) for c in novel]
    if len(set(b)) != len(b) or len(set(n)) != len(n):
        raise ValueError(f"{where}: a class is listed twice in the base or the novel set")
    if set(b) & set(n):
        raise ValueError(f"{where}: classes {sorted(set(b) & set(n))[:5]} are both base "
                         f"and novel")
    if set(b) | set(n) != set(range(num_classes)):
        raise ValueError(f"{where}: base and novel classes do not cover 0..{num_classes - 1}")


def save_split(path: str, base: Sequence[int], novel: Sequence[int],
               seed: Optional[int] = None) -> None:
    """Write the split as JSON (atomically): ``{"format", "num_classes", "seed", "base",
    "novel"}``."""
    num_classes = len(base) + len(novel)
    _check_split(base, novel, num_classes, path)
    write_json(path, {"format": SPLIT_FORMAT, "num_classes": num_classes, "seed": seed,
                      "base": sorted(int(c) for c in base),
                      "novel": sorted(int(c) for c in novel)})


def load_split(path: str) -> Tuple[List[int], List[int]]:
    """``(base, novel)`` of a split written by :func:`save_split`; ValueError naming the file
    when it is malformed."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        version = int(data["format"])
        base = [int(c) for c in data["base"]]
        novel = [int(c) for c in data["novel"]]
        num_classes = int(data["num_classes"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: not a few-shot split file ({err})") from err
    if version != SPLIT_FORMAT:
        raise ValueError(f"{path}: split format {version}, expected {SPLIT_FORMAT}")
    _check_split(base, novel, num_classes, path)
    return sorted(base), sorted(novel)


def class_positives(charades: Charades, video_ids: Iterable[str],
                    classes: Iterable[int]) -> Dict[int, List[str]]:
    """For each class, the videos (of ``video_ids``, in order) in which it occurs."""
    out: Dict[int, List[str]] = {int(c): [] for c in classes}
    for video_id in video_ids:
        for label in charades.video_labels(video_id):
            if label in out:
                out[label].append(video_id)
    return out


def videos_with_classes(charades: Charades, video_ids: Iterable[str],
                        classes: Iterable[int]) -> List[str]:
    """The videos (in order) in which at least one of ``classes`` occurs, e.g. the base
    training set or the novel evaluation set."""
    wanted = {int(c) for c in classes}
    return [v for v in video_ids if charades.video_labels(v) & wanted]


def k_shot_videos(charades: Charades, video_ids: Sequence[str], novel_classes: Iterable[int],
                  k: int, seed: int = 0) -> List[str]:
    """Sorted ids of the k-shot training videos: at least ``k`` positives of every novel
    class (all of them when it has fewer), selected as the module docstring describes."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    ids = sorted(dict.fromkeys(os.path.splitext(v)[0] for v in video_ids))
    classes = sorted({int(c) for c in novel_classes})
    positives = class_positives(charades, ids, classes)
    rng = np.random.default_rng(seed)
    chosen: List[str] = []
    chosen_set = set()
    for c in classes:
        have = sum(1 for v in chosen if c in charades.video_labels(v))
        candidates = [v for v in positives[c] if v not in chosen_set]
        need = min(max(k - have, 0), len(candidates))
        if need:
            picks = rng.choice(len(candidates), size=need, replace=False)
            for i in sorted(int(p) for p in picks):
                chosen.append(candidates[i])
                chosen_set.add(candidates[i])
    return sorted(chosen)


def restrict_labels(targets, classes: Sequence[int]):
    """``targets[..., classes]``: ``[N, C]`` -> ``[N, len(classes)]`` (numpy or torch),
    columns in the order of ``classes``."""
    index = [int(c) for c in classes]
    if hasattr(targets, "index_select"):
        import torch
        return targets.index_select(-1, torch.as_tensor(index, dtype=torch.long,
                                                        device=targets.device))
    return np.asarray(targets)[..., index]
