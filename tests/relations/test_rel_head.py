"""RelDN-style head: shapes, gradients, branch switches, pair order, builder."""
import numpy as np
import pytest
import torch

from sgfb.relations.frequency import FrequencyPrior, log_frequency_init
from sgfb.relations.head import RelationHead, RelationHeadConfig
from sgfb.relations.heads import build_relation_head
from sgfb.relations.losses import relation_loss
from sgfb.relations.pairs import RelationPairs

SIZES = [(120, 160), (100, 140), (96, 128)]   # (height, width) of three frames


def batch():
    """5 pairs over 3 frames; frame 2 has no pairs; pairs are not sorted by frame."""
    subject = torch.tensor([[10., 10, 60, 110], [20, 5, 80, 95], [10, 10, 60, 110],
                            [20, 5, 80, 95], [10, 10, 60, 110]])
    objects = torch.tensor([[50., 60, 90, 100], [0, 0, 30, 30], [100, 20, 150, 60],
                            [70, 70, 70, 70], [5, 80, 40, 118]])
    return RelationPairs(subject, objects, torch.tensor([10, 7, 31, 4, 10]),
                         torch.tensor([0, 1, 0, 1, 0]), 3)


def small_head(**kw):
    torch.manual_seed(0)
    return RelationHead(in_channels=8, hidden_dim=16, geometry_hidden=8, pool_size=3, **kw)


def randomise_last_layers(head):
    torch.manual_seed(1)
    for name in ("visual_scores", "geometry_scores"):
        if hasattr(head, name):
            torch.nn.init.normal_(getattr(head, name).weight, std=0.5)


def test_forward_backward_shapes(features_factory):
    feats = features_factory(SIZES, scale=0.5)
    head = small_head(frequency_init=torch.randn(36, 26))
    randomise_last_layers(head)
    out = head(feats, batch())
    assert out.attention.shape == (5, 3) and out.spatial.shape == (5, 6)
    assert out.contacting.shape == (5, 17)
    probs = out.probabilities()
    assert probs.shape == (5, 26) and torch.isfinite(probs).all()
    assert torch.allclose(probs[:, :3].sum(1), torch.ones(5))
    out.flat().sum().backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert head.subject_mlp[0].weight.grad.abs().sum() > 0
    assert head.geometry_mlp[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("branches", [
    dict(use_visual=True, use_geometry=False, use_frequency=False),
    dict(use_visual=False, use_geometry=True, use_frequency=False),
    dict(use_visual=False, use_geometry=False, use_frequency=True),
    dict(use_visual=True, use_geometry=True, use_frequency=True),
])
def test_branch_switches(features_factory, branches):
    feats = features_factory(SIZES)
    head = small_head(**branches)
    assert hasattr(head, "subject_mlp") == branches["use_visual"]
    assert hasattr(head, "geometry_mlp") == branches["use_geometry"]
    assert hasattr(head, "frequency") == branches["use_frequency"]
    randomise_last_layers(head)
    pairs = batch()
    out = head(feats, pairs)
    assert out.flat().shape == (5, 26)
    expected = torch.zeros(5, 26)
    if branches["use_visual"]:
        expected = expected + head.visual(feats, pairs)
    if branches["use_geometry"]:
        expected = expected + head.geometry(feats, pairs)
    if branches["use_frequency"]:
        expected = expected + head.frequency(pairs.object_labels)
    assert torch.allclose(out.flat(), expected, atol=1e-6)
    out.flat().pow(2).sum().backward()
    assert all(p.grad is not None for p in head.parameters())


def test_no_branch_is_an_error():
    with pytest.raises(ValueError):
        small_head(use_visual=False, use_geometry=False, use_frequency=False)


def test_untrained_head_equals_frequency_prior(features_factory):
    init = torch.from_numpy(log_frequency_init(np.random.default_rng(0).integers(0, 9, (36, 26))))
    head = small_head(frequency_init=init)
    pairs = batch()
    out = head(features_factory(SIZES), pairs)
    assert torch.allclose(out.flat(), FrequencyPrior(init)(None, pairs).flat())


def test_pair_order_does_not_matter(features_factory):
    feats = features_factory(SIZES, scale=0.75)
    head = small_head()
    randomise_last_layers(head)
    pairs = batch()
    perm = torch.tensor([3, 0, 4, 1, 2])
    shuffled = RelationPairs(pairs.subject_boxes[perm], pairs.object_boxes[perm],
                             pairs.object_labels[perm], pairs.frame_index[perm], 3)
    assert torch.allclose(head(feats, shuffled).flat(), head(feats, pairs).flat()[perm], atol=1e-6)


def test_visual_branch_pools_resized_boxes(features_factory):
    """Same maps and resized frames, different original sizes: boxes scaled with the frame
    pool the same regions."""
    head = small_head(use_geometry=False, use_frequency=False)
    randomise_last_layers(head)
    a = features_factory([(120, 160)], scale=0.5)
    b = features_factory([(60, 80)], scale=1.0)
    assert a.image_sizes == b.image_sizes
    pairs = batch()
    first = RelationPairs(pairs.subject_boxes[:1], pairs.object_boxes[:1], pairs.object_labels[:1],
                          torch.tensor([0]), 1)
    half = RelationPairs(first.subject_boxes / 2, first.object_boxes / 2, first.object_labels,
                         first.frame_index, 1)
    assert torch.allclose(head(a, first).flat(), head(b, half).flat(), atol=1e-5)


def test_empty_pairs(features_factory):
    head = small_head(frequency_init=torch.zeros(36, 26))
    empty = RelationPairs(torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0, dtype=torch.long),
                          torch.zeros(0, dtype=torch.long), 2)
    out = head(features_factory(SIZES[:2]), empty)
    assert out.flat().shape == (0, 26) and out.probabilities().shape == (0, 26)
    loss = sum(relation_loss(out, torch.zeros(0, 26), empty.frame_index, 2).values())
    assert float(loss.detach()) == 0.0
    loss.backward()


def test_builder():
    counts = np.random.default_rng(0).integers(0, 5, (36, 26)).astype(float)
    cfg = RelationHeadConfig(hidden_dim=16, geometry_hidden=8, pool_size=3, use_visual=False)
    head = build_relation_head(cfg, in_channels=8, frequency_counts=counts)
    assert isinstance(head, RelationHead) and not hasattr(head, "subject_mlp")
    assert torch.allclose(head.frequency.weight, torch.from_numpy(log_frequency_init(counts)))
    prior = build_relation_head(RelationHeadConfig(kind="frequency"), 8, counts)
    assert isinstance(prior, FrequencyPrior)
    with pytest.raises(ValueError, match="frequency counts"):
        build_relation_head(RelationHeadConfig(kind="frequency"), 8, None)
    with pytest.raises(ValueError, match="graph_rcnn"):
        build_relation_head(RelationHeadConfig(kind="motifs"), 8, counts)
    full = build_relation_head(RelationHeadConfig(hidden_dim=16, pool_size=3), 8, None)
    assert torch.equal(full.frequency.weight, torch.zeros(36, 26))
