"""Pair geometry: exact values on hand-made boxes, degenerate boxes."""
import math

import pytest
import torch

from sgfb.relations.geometry import GEOMETRY_DIM, box_deltas, pair_geometry, union_boxes


def test_union_boxes():
    a = torch.tensor([[0., 0, 10, 20], [5, 5, 6, 6]])
    b = torch.tensor([[5., 10, 15, 30], [0, 0, 1, 1]])
    assert torch.equal(union_boxes(a, b), torch.tensor([[0., 0, 15, 30], [0, 0, 6, 6]]))


def test_box_deltas_identity_is_zero():
    a = torch.tensor([[3., 4, 13, 24]])
    assert torch.equal(box_deltas(a, a), torch.zeros(1, 4))


def test_pair_geometry_exact_values():
    # subject 10x20 at the top-left, object 10x20 shifted by (5, 10); image 100 x 50 (w, h)
    s = torch.tensor([[0., 0, 10, 20]])
    o = torch.tensor([[5., 10, 15, 30]])
    g = pair_geometry(s, o, torch.tensor([[100., 50]]))[0]
    assert g.shape == (GEOMETRY_DIM,)
    l15 = math.log(1.5)
    expected = [
        0.5, 0.5, 0.0, 0.0,             # s -> o: centre moves (5, 10) over (10, 20); same size
        0.25, 0.25, l15, l15,           # s -> union (0, 0, 15, 30)
        -0.25, -0.25, l15, l15,         # o -> union
        0.0, 0.0, 0.1, 0.4, 0.04,       # subject normalised coords, area 200 / 5000
        0.05, 0.2, 0.15, 0.6, 0.04,     # object
        50 / 350,                       # IoU: intersection 5 x 10 = 50
        0.25, 0.25,                     # intersection over subject / object area
        0.1,                            # |(5, 10)| / |(100, 50)| = sqrt(125 / 12500)
        0.05, 0.2,                      # centre offsets over W and H
    ]
    assert torch.allclose(g, torch.tensor(expected), atol=1e-6)


def test_pair_geometry_batch_rows_independent():
    s = torch.tensor([[0., 0, 10, 20], [10, 10, 50, 90]])
    o = torch.tensor([[5., 10, 15, 30], [0, 80, 60, 100]])
    sizes = torch.tensor([[100., 50], [64, 128]])
    both = pair_geometry(s, o, sizes)
    for i in range(2):
        assert torch.allclose(both[i], pair_geometry(s[i:i + 1], o[i:i + 1], sizes[i:i + 1])[0])


def test_pair_geometry_degenerate_boxes_are_finite():
    s = torch.tensor([[5., 5, 5, 5], [0, 0, 0, 0], [10, 10, 4, 2], [0, 0, 10, 10]])
    o = torch.tensor([[5., 5, 5, 5], [3, 3, 3, 8], [0, 0, 10, 10], [20, 20, 20, 20]])
    sizes = torch.tensor([[0., 0], [10, 10], [100, 100], [30, 40]])
    g = pair_geometry(s, o, sizes)
    assert g.shape == (4, GEOMETRY_DIM)
    assert torch.isfinite(g).all()
    assert g[0, 22] == 0  # IoU of two points
    assert torch.all(g[:, 22:25] >= 0) and torch.all(g[:, 22:25] <= 1)


def test_pair_geometry_gradient_finite_on_degenerate_boxes():
    s = torch.tensor([[5., 5, 5, 5]], requires_grad=True)
    o = torch.tensor([[5., 5, 5, 5]], requires_grad=True)
    pair_geometry(s, o, torch.tensor([[10., 10]])).sum().backward()
    assert torch.isfinite(s.grad).all() and torch.isfinite(o.grad).all()


def test_pair_geometry_empty_and_shape_errors():
    assert pair_geometry(torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0, 2)).shape == (0, 28)
    with pytest.raises(ValueError):
        pair_geometry(torch.zeros(2, 4), torch.zeros(3, 4), torch.zeros(2, 2))
    with pytest.raises(ValueError):
        pair_geometry(torch.zeros(2, 4), torch.zeros(2, 4), torch.zeros(2, 3))
