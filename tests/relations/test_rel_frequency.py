"""Frequency counts and the frequency prior."""
import numpy as np
import pytest
import torch

from sgfb.structures.vocab import AG_RELATIONSHIPS, OBJECTS
from sgfb.relations.frequency import (FrequencyPrior, count_relationships, frequency_probabilities,
                                      log_frequency_init, pair_counts, relationship_counts)
from sgfb.relations.pairs import RelationPairs
from sgfb.structures.scene_graph import SceneGraph

R = {name: i for i, name in enumerate(AG_RELATIONSHIPS)}
CUP, CHAIR = OBJECTS.index("cup/glass/bottle"), OBJECTS.index("chair")


def graphs():
    return [
        SceneGraph.from_ground_truth(
            [CUP, CHAIR],
            [[R["looking_at"], R["in_front_of"], R["holding"]],
             [R["not_looking_at"], R["beneath"], R["sitting_on"]]]),
        SceneGraph.from_ground_truth([CUP], [[R["looking_at"], R["in_front_of"], R["holding"]]]),
        SceneGraph.from_ground_truth([CUP], [[R["not_looking_at"], R["in_front_of"],
                                              R["not_contacting"]]]),
        SceneGraph.empty(),
    ]


def test_counts_on_literal_graphs():
    counts = relationship_counts(graphs())
    assert counts.shape == (36, 26)
    expected = np.zeros((36, 26))
    expected[CUP, [R["looking_at"], R["not_looking_at"], R["in_front_of"], R["holding"],
                   R["not_contacting"]]] = [2, 1, 3, 2, 1]
    expected[CHAIR, [R["not_looking_at"], R["beneath"], R["sitting_on"]]] = 1
    assert np.array_equal(counts, expected)
    pairs = pair_counts(graphs())
    assert pairs[CUP] == 3 and pairs[CHAIR] == 1 and pairs.sum() == 4
    c2, p2 = count_relationships(iter(graphs()))  # one pass over a generator
    assert np.array_equal(c2, counts) and np.array_equal(p2, pairs)


def test_probabilities_are_smoothed_normalised_counts():
    counts, pairs = count_relationships(graphs())
    p = frequency_probabilities(counts, pairs, eps=1.0)
    # attention of cups: counts (2, 1, 0) -> (3, 2, 1) / 6
    assert np.allclose(p[CUP, :3], [3 / 6, 2 / 6, 1 / 6])
    # presence: in_front_of on 3 of 3 cup pairs -> 4 / 5; holding 2 of 3 -> 3 / 5; above 0 -> 1/5
    assert np.isclose(p[CUP, R["in_front_of"]], 4 / 5)
    assert np.isclose(p[CUP, R["holding"]], 3 / 5)
    assert np.isclose(p[CUP, R["above"]], 1 / 5)
    # an unseen class: uniform attention, 1/2 elsewhere
    assert np.allclose(p[OBJECTS.index("bed"), :3], 1 / 3)
    assert np.allclose(p[OBJECTS.index("bed"), 3:], 0.5)
    # without pair counts, the attention totals stand in for them
    assert np.allclose(frequency_probabilities(counts, None, 1.0), p)
    with pytest.raises(ValueError):
        frequency_probabilities(counts, pairs, eps=0.0)


def test_prior_outputs_equal_normalised_counts():
    counts, pairs = count_relationships(graphs())
    prior = FrequencyPrior.from_counts(counts, pairs, eps=1e-6)
    probs = prior.probabilities(torch.tensor([CUP, CHAIR])).double().numpy()
    expected_cup = counts[CUP] / np.r_[np.full(3, counts[CUP, :3].sum()), np.full(23, pairs[CUP])]
    assert np.allclose(probs[0], expected_cup, atol=1e-5)
    assert np.allclose(probs[1], counts[CHAIR] / pairs[CHAIR], atol=1e-5)


def test_prior_module_interface():
    counts, pairs = count_relationships(graphs())
    prior = FrequencyPrior()
    assert list(prior.parameters()) == []
    assert "log_frequencies" in prior.state_dict()
    prior.fit(counts, pairs)
    assert torch.allclose(prior.log_frequencies, torch.from_numpy(log_frequency_init(counts, 1.0, pairs)))
    pairs_batch = RelationPairs(torch.zeros(2, 4), torch.zeros(2, 4), torch.tensor([CUP, CHAIR]),
                                torch.tensor([0, 1]), 2)
    out = prior(None, pairs_batch)
    assert out.attention.shape == (2, 3) and out.spatial.shape == (2, 6)
    assert out.contacting.shape == (2, 17)
    assert torch.allclose(out.flat(), prior.logits(torch.tensor([CUP, CHAIR])).flat())
    probs = out.probabilities()
    assert torch.allclose(probs[:, :3].sum(1), torch.ones(2))
    with pytest.raises(ValueError):
        FrequencyPrior(torch.zeros(3, 26))
