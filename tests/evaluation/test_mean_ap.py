import itertools

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from sgfb.evaluation.mean_ap import (average_precision_per_class, mean_average_precision,
                                     random_ranking_ap, random_ranking_map)


def test_hand_computed():
    scores = np.array([[0.9], [0.8], [0.7], [0.6]])
    labels = np.array([[1], [0], [1], [0]])
    # precision at the two positives: 1/1 and 2/3
    assert average_precision_per_class(scores, labels)[0] == pytest.approx((1 + 2 / 3) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_matches_sklearn_with_ties_and_a_class_without_positives(seed):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random((200, 12)), 1)  # many ties
    labels = (rng.random((200, 12)) < 0.15).astype(int)
    labels[:, 3] = 0
    ap = average_precision_per_class(scores, labels)
    assert np.isnan(ap[3])
    for k in range(12):
        if k != 3:
            assert ap[k] == pytest.approx(average_precision_score(labels[:, k], scores[:, k]))
    expected = np.mean([average_precision_score(labels[:, k], scores[:, k])
                        for k in range(12) if k != 3])
    assert mean_average_precision(scores, labels) == pytest.approx(expected)


def test_edge_cases():
    assert np.isnan(mean_average_precision(np.zeros((3, 2)), np.zeros((3, 2))))
    assert np.isnan(mean_average_precision(np.zeros((0, 2)), np.zeros((0, 2))))
    with pytest.raises(ValueError):
        mean_average_precision(np.zeros((3, 2)), np.zeros((3, 3)))


def test_chance_ap_of_one_positive_in_two_is_three_quarters():
    # first: AP 1, second: AP 1/2
    assert random_ranking_ap(np.array([[1], [0]])).tolist() == [0.75]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_chance_ap_is_the_mean_ap_over_every_ordering(n):
    rng = np.random.default_rng(n)
    labels = (rng.random((n, 4)) < 0.45).astype(np.float32)
    labels[:, 0] = 0                                     # a class without positives
    labels[0, 1] = 1                                     # and one with at least one
    orders = list(itertools.permutations(range(n)))
    mean_ap = np.zeros(4)
    for order in orders:
        scores = np.zeros((n, 4))
        scores[list(order)] = np.arange(n, 0, -1)[:, None]   # a strict ranking, no ties
        mean_ap += np.nan_to_num(average_precision_per_class(scores, labels)) / len(orders)
    expected = random_ranking_ap(labels)
    positive = labels.sum(0) > 0
    assert np.isnan(expected[~positive]).all() and not positive[0] and positive[1]
    np.testing.assert_allclose(expected[positive], mean_ap[positive], rtol=1e-12)
    assert random_ranking_map(labels) == pytest.approx(mean_ap[positive].mean())


def test_chance_ap_edge_cases():
    assert np.isnan(random_ranking_map(np.zeros((3, 2))))
    assert np.isnan(random_ranking_ap(np.zeros((0, 2)))).all()
    assert random_ranking_ap(np.ones((1, 1))).tolist() == [1.0]
    assert random_ranking_ap(np.ones((4, 1))).tolist() == [1.0]      # all positive
    with pytest.raises(ValueError, match="must be"):
        random_ranking_ap(np.ones(3))
