"""Video-level aggregation of view scores (sgfb.evaluation.views)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sgfb.data.charades import ActionInstance, Charades, CharadesVideo
from sgfb.evaluation.views import aggregate_views, video_targets

SCORES = np.array([[0.1, 0.9],
                   [0.5, 0.2],
                   [0.3, 0.4],
                   [0.7, 0.0],
                   [0.2, 0.6]])
IDS = ["b", "a", "b", "a", "c"]


def test_max_over_views_exact():
    ids, out = aggregate_views(SCORES, IDS)
    assert ids == ["a", "b", "c"]
    assert out.tolist() == [[0.7, 0.2], [0.3, 0.9], [0.2, 0.6]]


def test_mean_over_views_exact():
    ids, out = aggregate_views(SCORES, IDS, reduce="mean")
    assert ids == ["a", "b", "c"]
    assert np.allclose(out, [[0.6, 0.1], [0.2, 0.65], [0.2, 0.6]])


def test_torch_input_and_negative_scores():
    ids, out = aggregate_views(torch.tensor([[-3.0], [-1.0], [-2.0]]), ["x", "x", "y"])
    assert ids == ["x", "y"] and out.tolist() == [[-1.0], [-2.0]]


def test_empty_and_bad_inputs():
    ids, out = aggregate_views(np.zeros((0, 4)), [])
    assert ids == [] and out.shape == (0, 4)
    with pytest.raises(ValueError, match="rows"):
        aggregate_views(SCORES, IDS[:3])
    with pytest.raises(ValueError, match="reduction"):
        aggregate_views(SCORES, IDS, reduce="sum")


def test_video_targets():
    charades = Charades([CharadesVideo("a", 5.0, [ActionInstance(2, 0, 1),
                                                  ActionInstance(0, 1, 2)]),
                         CharadesVideo("b", 5.0, [])])
    assert video_targets(charades, ["b", "a"]).tolist() == [[0, 0, 0], [1, 0, 1]]
    assert video_targets(charades, ["a"], num_classes=4).tolist() == [[1, 0, 1, 0]]
    with pytest.raises(ValueError, match="a"):
        video_targets(charades, ["a"], num_classes=2)
