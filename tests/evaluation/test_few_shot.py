"""Few-shot splits and k-shot selection (sgfb.evaluation.few_shot, AG paper §5.2)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
from sgfb.evaluation.few_shot import class_positives, few_shot_split, k_shot_videos, \
    load_split, restrict_labels, save_split, videos_with_classes


def test_split_is_deterministic_disjoint_and_sized():
    base, novel = few_shot_split(157, 20, seed=0)
    assert len(base) == 137 and len(novel) == 20
    assert not set(base) & set(novel)
    assert sorted(base + novel) == list(range(157))
    assert base == sorted(base) and novel == sorted(novel)
    assert few_shot_split(157, 20, seed=0) == (base, novel)
    assert few_shot_split(157, 20, seed=1)[1] != novel
    with pytest.raises(ValueError):
        few_shot_split(10, 10)


def test_save_and_load_split(tmp_path):
    base, novel = few_shot_split(seed=4)
    path = tmp_path / "sub" / "split.json"
    save_split(str(path), base, novel, seed=4)
    assert load_split(str(path)) == (base, novel)
    data = json.loads(path.read_text())
    assert data["seed"] == 4 and data["num_classes"] == 157
    assert [p.name for p in path.parent.iterdir()] == ["split.json"]  # no temporary left
    data["novel"][0] = data["base"][0]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="split.json"):
        load_split(str(path))
    path.write_text("{}")
    with pytest.raises(ValueError, match="not a few-shot split"):
        load_split(str(path))


def _charades(labels_per_video):
    return Charades([CharadesVideo(f"v{i}", 10.0, [ActionInstance(c, 0.0, 1.0) for c in labels])
                     for i, labels in enumerate(labels_per_video)])


def _count(charades, videos, cls):
    return sum(cls in charades.video_labels(v) for v in videos)


def test_k_shot_without_overlap_gives_exactly_k_per_class():
    # classes 1 and 3 are novel, 6 positives each, never together
    charades = _charades([[1]] * 6 + [[3, 0]] * 6 + [[0]] * 4)
    ids = sorted(charades.videos)
    for k in (1, 5):
        chosen = k_shot_videos(charades, ids, [3, 1], k, seed=0)
        assert len(chosen) == 2 * k and chosen == sorted(chosen)
        assert _count(charades, chosen, 1) == k and _count(charades, chosen, 3) == k
        assert k_shot_videos(charades, ids, [1, 3], k, seed=0) == chosen
    assert len({tuple(k_shot_videos(charades, ids, [1, 3], 2, seed=s)) for s in range(10)}) > 1


def test_k_shot_counts_videos_shared_by_novel_classes():
    # v0..v3 hold both novel classes: any pick for class 1 also counts for class 2
    charades = _charades([[1, 2]] * 4 + [[2]] * 4)
    ids = sorted(charades.videos)
    chosen = k_shot_videos(charades, ids, [1, 2], 2, seed=3)
    assert len(chosen) == 2 and all(v in ids[:4] for v in chosen)
    assert _count(charades, chosen, 1) == 2 and _count(charades, chosen, 2) == 2


def test_k_shot_takes_all_positives_of_a_rare_class():
    charades = _charades([[1], [1], [1], [4]])
    chosen = k_shot_videos(charades, sorted(charades.videos), [1, 4], 2, seed=0)
    assert _count(charades, chosen, 4) == 1 and _count(charades, chosen, 1) == 2
    assert len(chosen) == 3
    with pytest.raises(ValueError):
        k_shot_videos(charades, sorted(charades.videos), [1], 0)


def test_positives_and_videos_with_classes():
    charades = _charades([[1], [0, 2], [0]])
    assert class_positives(charades, ["v0", "v1", "v2"], [0, 1]) == {0: ["v1", "v2"], 1: ["v0"]}
    assert videos_with_classes(charades, ["v0", "v1", "v2"], [1, 2]) == ["v0", "v1"]


def test_restrict_labels():
    targets = np.arange(12).reshape(2, 6)
    assert restrict_labels(targets, [4, 1]).tolist() == [[4, 1], [10, 7]]
    t = torch.arange(12).reshape(2, 6)
    assert restrict_labels(t, [4, 1]).tolist() == [[4, 1], [10, 7]]
