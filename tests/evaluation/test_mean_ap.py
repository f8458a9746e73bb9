import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from sgfb.evaluation.mean_ap import average_precision_per_class, mean_average_precision


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
