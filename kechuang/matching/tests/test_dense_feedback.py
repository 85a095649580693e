"""Score-weighted dense feedback: how much each of the best documents moves the query vector."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kechuang.matching.pipeline import feedback_weights, rocchio

scores = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8)
temperatures = st.floats(0.005, 5.0)


@given(scores, temperatures)
def test_weights_are_a_distribution_that_follows_the_scores(values, temperature):
    weights = feedback_weights(values, temperature)
    assert weights.sum() == pytest.approx(1.0, abs=1e-5)
    assert (weights >= 0).all()
    order = np.argsort(values, kind="stable")
    # A higher score never counts less.
    assert np.all(np.diff(weights[order]) >= -1e-6)


@given(scores)
def test_no_temperature_means_a_plain_mean(values):
    assert np.allclose(feedback_weights(values, 0.0), 1.0 / len(values))


def test_a_clear_best_match_speaks_alone_and_close_ones_share():
    far_ahead = feedback_weights([1.0, 0.4, 0.35], 0.1)
    assert far_ahead[0] > 0.99
    close = feedback_weights([1.0, 0.97, 0.3], 0.1)
    assert 0.3 < close[1] / close[0] < 1.0
    assert close[2] < 0.01


def test_rocchio_moves_towards_the_weighted_centre():
    query = np.array([1.0, 0.0, 0.0], np.float32)
    a = np.array([0.0, 1.0, 0.0], np.float32)
    b = np.array([0.0, 0.0, 1.0], np.float32)
    only_a = rocchio(query, [a, b], 1.0, weights=[1.0, 0.0])
    assert np.allclose(only_a, np.array([1.0, 1.0, 0.0]) / np.sqrt(2))
    both = rocchio(query, [a, b], 1.0)  # no weights: the plain mean
    assert np.allclose(both, np.array([1.0, 0.5, 0.5]) / np.linalg.norm([1.0, 0.5, 0.5]))
    assert np.linalg.norm(rocchio(query, [a], 3.0, weights=[1.0])) == pytest.approx(1.0)
    assert rocchio(query, [], 2.0) is query
