"""Training-free mixtures: weights sum to 1 and have their limits."""

import numpy as np
import pytest

from tasks.mix import training_free


def test_training_free_mixtures_sum_to_one_and_have_their_limits():
    tokens = np.array([100.0, 300.0, 600.0])
    assert training_free.natural(tokens).tolist() == pytest.approx([0.1, 0.3, 0.6])
    assert training_free.stratified(4).tolist() == [0.25] * 4
    assert training_free.temperature(tokens, 1.0) == pytest.approx(training_free.natural(tokens))
    assert training_free.temperature(tokens, 1e6) == pytest.approx(training_free.stratified(3), abs=1e-5)
    w = training_free.entropy(np.array([1.0, 2.0, 3.0]))
    assert w.sum() == pytest.approx(1.0) and w[2] / w[1] == pytest.approx(np.e)  # r_i ~ exp(H_i)
    with pytest.raises(ValueError, match="no tokens"):
        training_free.natural(np.zeros(3))


def test_prune_zeroes_the_skills_below_the_threshold_and_renormalises():
    w, low = training_free.prune(np.array([0.5, 0.3, 0.2]), np.array([0.9, 0.4, 0.7]), 0.5)
    assert low.tolist() == [False, True, False] and w.tolist() == pytest.approx([0.5 / 0.7, 0.0, 0.2 / 0.7])
    with pytest.raises(ValueError, match="every skill's mean quality score is below 0.95"):
        training_free.prune(np.array([0.5, 0.5]), np.array([0.9, 0.4]), 0.95)
