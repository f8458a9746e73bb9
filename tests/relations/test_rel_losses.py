"""Relation losses: hand-computed values, per-frame normalisation, contrastive margin."""
import math

import pytest
import torch

from sgfb.relations.logits import RelationLogits
from sgfb.relations.losses import contrastive_margin_loss, frame_mean, relation_loss

LOG2 = math.log(2)


def test_hand_computed_single_pair():
    flat = torch.zeros(1, 26)
    flat[0, 0] = 2.0                 # attention logits (2, 0, 0), target looking_at
    flat[0, 3] = 1.0                 # spatial 'above' logit 1, target 1
    targets = torch.zeros(1, 26)
    targets[0, [0, 3, 9]] = 1        # looking_at, above, carrying
    out = relation_loss(RelationLogits.from_flat(flat), targets, torch.tensor([0]), 1)
    assert set(out) == {"attention", "spatial", "contacting"}
    attn = -math.log(math.exp(2) / (math.exp(2) + 2))
    spatial = math.log(1 + math.exp(-1)) + 5 * LOG2      # BCE summed over 6 classes
    contacting = 17 * LOG2                               # all logits 0
    assert out["attention"].item() == pytest.approx(attn, rel=1e-6)
    assert out["spatial"].item() == pytest.approx(spatial, rel=1e-6)
    assert out["contacting"].item() == pytest.approx(contacting, rel=1e-6)


def test_pairs_without_attention_label_are_skipped():
    flat = torch.zeros(2, 26)
    flat[1, :3] = torch.tensor([5.0, -3.0, 1.0])
    targets = torch.zeros(2, 26)
    targets[0, 1] = 1                # pair 0: not_looking_at; pair 1: no attention label
    out = relation_loss(RelationLogits.from_flat(flat), targets, torch.tensor([0, 0]), 1)
    assert out["attention"].item() == pytest.approx(math.log(3), rel=1e-6)


def test_two_attention_labels_give_uniform_target():
    flat = torch.zeros(1, 26)
    targets = torch.zeros(1, 26)
    targets[0, [0, 2]] = 1
    out = relation_loss(RelationLogits.from_flat(flat), targets, torch.tensor([0]), 1)
    assert out["attention"].item() == pytest.approx(math.log(3), rel=1e-6)


def _random_frame(n, seed):
    g = torch.Generator().manual_seed(seed)
    flat = torch.randn(n, 26, generator=g)
    targets = (torch.rand(n, 26, generator=g) > 0.7).float()
    targets[:, :3] = 0
    targets[torch.arange(n), torch.randint(0, 3, (n,), generator=g)] = 1
    return flat, targets


def test_per_frame_normalisation():
    fa, ta = _random_frame(1, 0)
    fb, tb = _random_frame(3, 1)
    a = relation_loss(RelationLogits.from_flat(fa), ta, torch.zeros(1, dtype=torch.long), 1)
    b = relation_loss(RelationLogits.from_flat(fb), tb, torch.zeros(3, dtype=torch.long), 1)
    frames = torch.tensor([0, 1, 1, 1])
    both = relation_loss(RelationLogits.from_flat(torch.cat([fa, fb])), torch.cat([ta, tb]), frames, 2)
    for key in both:
        assert both[key].item() == pytest.approx((a[key].item() + b[key].item()) / 2, rel=1e-6)
    # ... which is not the plain mean over the 4 pairs
    pooled = relation_loss(RelationLogits.from_flat(torch.cat([fa, fb])), torch.cat([ta, tb]),
                           torch.zeros(4, dtype=torch.long), 1)
    assert both["contacting"].item() != pytest.approx(pooled["contacting"].item(), rel=1e-3)


def test_empty_frames_count_in_the_mean():
    fa, ta = _random_frame(2, 3)
    one = relation_loss(RelationLogits.from_flat(fa), ta, torch.zeros(2, dtype=torch.long), 1)
    padded = relation_loss(RelationLogits.from_flat(fa), ta, torch.tensor([1, 1]), 4)
    for key in one:
        assert padded[key].item() == pytest.approx(one[key].item() / 4, rel=1e-6)


def test_frame_mean_and_shape_errors():
    v = torch.tensor([1.0, 3.0, 10.0])
    assert frame_mean(v, torch.tensor([True, True, False]), torch.tensor([0, 0, 1]), 2).item() == 1.0
    with pytest.raises(ValueError):
        relation_loss(RelationLogits.from_flat(torch.zeros(2, 26)), torch.zeros(3, 26),
                      torch.zeros(2, dtype=torch.long), 1)


def _contrastive_case(pos_logit, neg_logit):
    """Frame 0: pair 0 positive for 'holding', pair 1 negative (other columns all negative
    for both pairs, hence no valid term there)."""
    flat = torch.full((2, 26), -4.0)
    holding = 14
    flat[0, holding], flat[1, holding] = pos_logit, neg_logit
    targets = torch.zeros(2, 26)
    targets[0, holding] = 1
    return flat, targets


def test_contrastive_zero_when_positives_beat_negatives_by_margin():
    flat, targets = _contrastive_case(4.0, -4.0)         # sigmoid gap ~0.96 > 0.2
    flat.requires_grad_(True)
    probs = RelationLogits.from_flat(flat).probabilities()
    loss = contrastive_margin_loss(probs, targets, torch.tensor([0, 0]), 1, margin=0.2)
    assert loss.item() == 0.0
    loss.backward()
    assert torch.all(flat.grad == 0)


def test_contrastive_hand_value_and_gradient():
    flat, targets = _contrastive_case(0.0, 0.0)          # both 0.5: gap 0 -> loss = margin
    flat.requires_grad_(True)
    probs = RelationLogits.from_flat(flat).probabilities()
    frames = torch.tensor([0, 0])
    loss = contrastive_margin_loss(probs, targets, frames, 2, margin=0.3)  # 2 frames, one empty
    assert loss.item() == pytest.approx(0.3 / 2, rel=1e-6)
    loss.backward()
    assert flat.grad[0, 14] < 0 and flat.grad[1, 14] > 0   # push positive up, negative down
    out = relation_loss(RelationLogits.from_flat(flat.detach()), targets, frames, 2,
                        contrastive_weight=2.0, contrastive_margin=0.3)
    assert out["contrastive"].item() == pytest.approx(0.3, rel=1e-6)
    assert "contrastive" not in relation_loss(RelationLogits.from_flat(flat.detach()), targets,
                                              frames, 2)


def test_contrastive_uses_hardest_pairs():
    # positives 0.9 and 0.6, negatives 0.5 and 0.1 on one predicate: gap = 0.6 - 0.5
    probs = torch.zeros(4, 26)
    probs[:, 5] = torch.tensor([0.9, 0.6, 0.5, 0.1])
    targets = torch.zeros(4, 26)
    targets[:2, 5] = 1
    loss = contrastive_margin_loss(probs, targets, torch.zeros(4, dtype=torch.long), 1, margin=0.3)
    assert loss.item() == pytest.approx(0.2, rel=1e-5)
