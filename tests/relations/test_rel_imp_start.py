"""IMP's predicate scores start at the training marginals (sgfb/relations/imp.py): the
marginal logits on literal counts, the builder's wiring, and a tiny literal training case on
which a zero start collapses to the marginals while the marginal start learns."""
import math

import numpy as np
import pytest
import torch

from sgfb.relations.frequency import marginal_logits
from sgfb.relations.head import RelationHeadConfig
from sgfb.relations.heads import build_relation_head
from sgfb.relations.imp import IMPHead
from sgfb.relations.logits import RelationLogits
from sgfb.relations.losses import relation_loss
from sgfb.relations.pairs import RelationPairs
from sgfb.training.solver import SolverConfig, build_optimizer, build_scheduler


def literal_counts():
    """Class 0: 3 pairs (attention 0, 0, 1; spatial column 3 on all three); class 5: 1 pair
    (attention 0, contacting column 9)."""
    counts = np.zeros((36, 26))
    counts[0, 0], counts[0, 1], counts[0, 3] = 2, 1, 3
    counts[5, 0], counts[5, 9] = 1, 1
    return counts, np.array([3.0] + [0] * 4 + [1.0] + [0] * 30)


def test_marginal_logits_hand_computed():
    counts, pairs = literal_counts()
    got = marginal_logits(counts, 1.0, pairs)
    # attention: summed counts (3, 1, 0) over 4 labels, smoothed by 1: 4/7, 2/7, 1/7
    assert np.allclose(got[:3], np.log([4 / 7, 2 / 7, 1 / 7]), atol=1e-6)
    # spatial column 3: 3 of 4 pairs -> (3+1)/(4+2) = 2/3, logit log 2; unseen: 1/6 -> log 1/5
    assert got[3] == pytest.approx(math.log(2), abs=1e-6)
    assert np.allclose(got[4:9], math.log(1 / 5), atol=1e-6)
    # contacting column 9: 1 of 4 pairs -> 2/6, logit log 1/2
    assert got[9] == pytest.approx(math.log(1 / 2), abs=1e-6)
    assert got.shape == (26,) and got.dtype == np.float32
    # without pair counts, a class's pairs are its attention labels: the same 4 here
    assert np.allclose(marginal_logits(counts), got)
    with pytest.raises(ValueError, match="counts"):
        marginal_logits(counts[:5])


def test_builder_starts_imp_at_the_marginals_unless_switched_off(features_factory):
    counts, pairs = literal_counts()
    cfg = RelationHeadConfig(kind="imp", hidden_dim=8, pool_size=3)
    head = build_relation_head(cfg, 8, counts, pairs)
    assert torch.allclose(head.scores.bias, torch.from_numpy(marginal_logits(counts, 1.0, pairs)))
    # untrained, every pair scores the marginals whatever its features
    feats = features_factory([(100, 100)] * 2, scale=0.5)
    some = RelationPairs(torch.tensor([[10., 10, 60, 90]] * 3), torch.tensor(
        [[50., 50, 90, 90], [0, 0, 20, 20], [30, 5, 70, 40]]), torch.tensor([0, 5, 7]),
        torch.tensor([0, 0, 1]), 2)
    probs = head(feats, some).probabilities()
    expected = RelationLogits.from_flat(head.scores.bias.detach()[None]).probabilities()
    assert torch.allclose(probs, expected.expand(3, -1))
    assert expected[0, :3].tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7], abs=1e-6)
    # the zero start stays reachable; without counts there is nothing to start from
    off = build_relation_head(RelationHeadConfig(kind="imp", hidden_dim=8, pool_size=3,
                                                 marginal_bias=False), 8, counts, pairs)
    assert not off.scores.bias.any() and not build_relation_head(cfg, 8).scores.bias.any()
    # the other heads keep their own starts
    vrd = build_relation_head(RelationHeadConfig(kind="vrd", hidden_dim=8, pool_size=3), 8,
                              counts, pairs)
    assert not vrd.visual_scores.bias.any()
    with pytest.raises(ValueError, match=r"\[26\] score bias"):
        IMPHead(8, 8, pool_size=3, score_bias=torch.zeros(25))


# marginals of the synthetic Table 5 world (spatial and contacting log-odds, attention
# probabilities), so that the loss of constant scores falls from 17 to about 6.7 at the
# marginals, as in training
SPATIAL_CONTACT = [-4.69, -1.32, -0.54, -0.95, -0.72, -9.21, -3.98, -9.21, -3.7, -4.1, -9.21,
                   -1.43, -2.87, -4.43, -0.08, -9.21, -2.75, -2.37, -2.06, -9.21, -2.69, -9.21,
                   -9.21]


def literal_batch(features_factory):
    """4 frames of 120x160 with FPN-like maps of 64 channels at the detector's scale (rms 5),
    3 person-object pairs each, labels drawn from the marginals (seeded)."""
    g = torch.Generator().manual_seed(0)
    feats = features_factory([(120, 160)] * 4, channels=64, seed=0)
    feats.maps = {k: 5 * v for k, v in feats.maps.items()}
    corner = torch.rand(12, 2, generator=g) * torch.tensor([100., 70])
    objects = torch.cat([corner, corner + 20 + torch.rand(12, 2, generator=g) * 40], 1)
    pairs = RelationPairs(torch.tensor([[30., 20, 90, 118]]).repeat(12, 1), objects,
                          torch.randint(1, 36, (12,), generator=g),
                          torch.arange(4).repeat_interleave(3), 4)
    targets = (torch.rand(12, 26, generator=g)
               < torch.sigmoid(torch.tensor([0.0] * 3 + SPATIAL_CONTACT))).float()
    attention = torch.multinomial(torch.tensor([0.24, 0.66, 0.10]), 12, replacement=True,
                                  generator=g)
    targets[:, :3] = 0
    targets[torch.arange(12), attention] = 1
    counts, per_class = np.zeros((36, 26)), np.zeros(36)
    for label, row in zip(pairs.object_labels.tolist(), targets.numpy()):
        counts[label] += row
        per_class[label] += 1
    return feats, pairs, targets, counts, per_class


def train(head, feats, pairs, targets, steps=60):
    """The Table 5 relations recipe (AdamW lr 1e-3, 10 warm-up iterations) on one batch;
    returns the last loss and the mean spread of the scores over the pairs."""
    solver = SolverConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-4, warmup_iters=10,
                          max_iters=steps)
    optimiser = build_optimizer(head.parameters(), solver)
    schedule = build_scheduler(optimiser, solver)
    for _ in range(steps):
        loss = sum(relation_loss(head(feats, pairs), targets, pairs.frame_index, 4).values())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    with torch.no_grad():
        out = head(feats, pairs)
    return sum(relation_loss(out, targets, pairs.frame_index, 4).values()).item(), \
        out.flat().std(0).mean().item()


def test_marginal_start_learns_where_the_zero_start_collapses(features_factory):
    feats, pairs, targets, counts, per_class = literal_batch(features_factory)
    marginal = torch.from_numpy(marginal_logits(counts, 1.0, per_class))
    at_marginals = sum(relation_loss(RelationLogits.from_flat(marginal.expand(12, -1)), targets,
                                     pairs.frame_index, 4).values()).item()
    assert 6 < at_marginals < 7.5                     # vs 17 for all-zero scores

    torch.manual_seed(0)
    loss, spread = train(IMPHead(64, 32, pool_size=7, score_bias=marginal), feats, pairs, targets)
    assert loss < 0.75 * at_marginals and spread > 0.3

    torch.manual_seed(0)
    loss, spread = train(IMPHead(64, 32, pool_size=7), feats, pairs, targets)
    # the zero start: saturated GRU states, the same scores for every pair, stuck above the
    # marginals' loss (the Table 5 failure)
    assert loss > 0.95 * at_marginals and spread < 0.05
