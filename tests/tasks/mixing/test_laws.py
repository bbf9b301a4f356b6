"""Each law family recovers a planted law of its own form from a synthetic swarm (zero shares included), and a
fitted law's state makes the same predictions."""

import json

import numpy as np
import pytest

from tasks.mixing import laws


def _swarm(n=120, m=4, seed=0, zeros=True):
    rng = np.random.default_rng(seed)
    X = rng.dirichlet(np.full(m, 0.6), n)
    if zeros:
        X[rng.random((n, m)) < 0.25] = 0.0
        X[X.sum(axis=1) == 0, 0] = 1.0
        X /= X.sum(axis=1, keepdims=True)
    return X


def test_linear_recovers_a_planted_affine_law():
    X = _swarm()
    w = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 1.0, -1.0]])
    Y = 4.0 + X @ w.T
    law = laws.make("linear").fit(X, Y)
    new = _swarm(seed=1)
    assert law.predict(new) == pytest.approx(4.0 + new @ w.T, abs=1e-9)


def test_log_linear_recovers_a_planted_data_mixing_law():
    X = _swarm()
    t = np.array([[-2.0, 0.5, -0.5, 1.0], [1.0, -3.0, 0.0, 0.2]])
    c = np.array([2.0, 3.5])
    Y = c + np.exp(X @ t.T)
    law = laws.make("log-linear").fit(X, Y)
    new = _swarm(seed=1)
    assert law.predict(new) == pytest.approx(c + np.exp(new @ t.T), rel=1e-4)
    assert np.exp(law.a_) == pytest.approx(c, rel=1e-3)


def test_lightgbm_ranks_a_planted_nonlinear_law():
    from scipy.stats import spearmanr

    X = _swarm(n=400)
    y = np.where(X[:, 0] > 0.3, 1.0, 2.0) + np.sin(3 * X[:, 1]) + 0.5 * X[:, 2] ** 2
    law = laws.make("lightgbm").fit(X, y[:, None])
    new = _swarm(n=200, seed=1)
    truth = np.where(new[:, 0] > 0.3, 1.0, 2.0) + np.sin(3 * new[:, 1]) + 0.5 * new[:, 2] ** 2
    assert spearmanr(truth, law.predict(new)[:, 0]).statistic > 0.9


def test_bimix_recovers_a_planted_own_share_law_and_a_sum_of_power_laws():
    X = _swarm()
    own = 3.0 * (X[:, 1] + 1e-3) ** -0.08
    total = ((X + 1e-3) ** -np.array([0.05, 0.0, 0.1, 0.02])) @ np.array([1.0, 0.0, 0.5, 2.0])
    law = laws.make("bimix").fit(X, np.column_stack([own, total]), own=[1, None])
    assert law.alpha_[0] == pytest.approx(0.08, rel=1e-6) and law.K_[0] == pytest.approx(3.0, rel=1e-6)
    assert law.eps_[0] == 1e-3
    new = _swarm(seed=1)
    truth = ((new + 1e-3) ** -np.array([0.05, 0.0, 0.1, 0.02])) @ np.array([1.0, 0.0, 0.5, 2.0])
    assert law.predict(new)[:, 1] == pytest.approx(truth, rel=1e-3)


def test_bimix_with_steps_is_the_bivariate_law():
    X = np.repeat(_swarm(n=12, zeros=False), 4, axis=0)
    s = np.tile([50.0, 100.0, 200.0, 400.0], 12)
    Y = (1.0 / (X[:, :2] + 1e-3) ** 0.1) * (5.0 / s[:, None] ** 0.5 + 2.0)
    law = laws.make("bimix").fit(X, Y, own=[0, 1], steps=s)
    assert law.predict(X, steps=s) == pytest.approx(Y, rel=1e-4)
    with pytest.raises(ValueError, match="needs every metric's own domain"):
        laws.make("bimix").fit(X, Y, own=[0, None], steps=s)


@pytest.mark.parametrize("family", list(laws.FAMILIES))
def test_every_family_takes_zero_shares_and_its_state_predicts_the_same(family):
    X = _swarm(n=80)
    assert (X == 0).mean() > 0.15
    Y = np.column_stack([5 + np.exp(-X[:, 0]), 3 + X[:, 1] - X[:, 2]])
    law = laws.make(family).fit(X, Y, own=[0, None])
    P = law.predict(X)
    assert P.shape == Y.shape and np.isfinite(P).all()
    again = laws.Law.restore(json.loads(json.dumps(law.state())))
    assert again.predict(X) == pytest.approx(P, rel=1e-12)
    assert law.predict(X, columns=[1])[:, 0] == pytest.approx(P[:, 1])


def test_bad_swarms_are_refused():
    X = _swarm(n=10)
    with pytest.raises(ValueError, match=">= 0"):
        laws.make("linear").fit(-X, np.ones((10, 1)))
    with pytest.raises(ValueError, match="same n"):
        laws.make("linear").fit(X, np.ones((9, 1)))
    with pytest.raises(ValueError, match="must be > 0"):
        laws.make("log-linear").fit(X, -np.ones((10, 1)))
    with pytest.raises(ValueError, match="unknown law family"):
        laws.make("gp")
    with pytest.raises(ValueError, match="own must name"):
        laws.make("bimix").fit(X, np.ones((10, 1)), own=[7])
