"""RegMix's swarm sampler and CLIMB's next round."""

import numpy as np
import pytest

from tasks.mixing import sample


def test_the_swarm_is_distinct_mixtures_within_the_caps_and_a_seed_repeats_it():
    prior = np.array([0.5, 0.3, 0.15, 0.05])
    cap = np.minimum(1, 4 * prior)
    X = sample.swarm(prior, cap, 40, seed=3, min_share=0.01)
    assert X.shape == (40, 4) and X.sum(axis=1) == pytest.approx(np.ones(40))
    assert (cap + 1e-9 >= X).all() and ((X == 0) | (X >= 0.01 - 1e-4)).all()
    assert len({tuple(r) for r in np.round(X, 4)}) == 40
    assert (X == 0).any()  # sparse draws at small strengths
    assert np.array_equal(X, sample.swarm(prior, cap, 40, seed=3, min_share=0.01))


def test_caps_that_leave_too_few_mixtures_are_refused():
    with pytest.raises(ValueError, match="repetition caps reject every sampled mixture|distinct mixtures fit"):
        sample.swarm([0.5, 0.5], [0.4, 0.4], 5, seed=0)


def test_the_next_round_comes_from_the_predicted_best_region_and_is_new():
    prior = np.full(3, 1 / 3)

    def f(X):  # lower is better: little of domain 0
        return X[:, 0]

    old = sample.swarm(prior, None, 10, seed=0)
    Z = sample.near_best(f, prior, None, 4, seed=1, pool=2000, exclude=old)
    pool = sample.candidates(prior, None, 2000, np.random.default_rng(1))
    assert len(Z) == 4 and f(Z).max() <= np.sort(f(pool))[200]
    assert not {tuple(np.round(r, 4)) for r in Z} & {tuple(np.round(r, 4)) for r in old}
