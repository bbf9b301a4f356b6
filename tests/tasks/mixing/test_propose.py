"""The proposer against a brute-force search of the simplex, with and without caps and a KL penalty."""

import itertools

import numpy as np
import pytest

from tasks.mixing import laws, propose


def _grid(step=0.005):
    n = round(1 / step)
    pts = [(i, j, n - i - j) for i, j in itertools.product(range(n + 1), repeat=2) if i + j <= n]
    return np.array(pts, np.float64) / n


def _brute(f, b):
    G = _grid()
    ok = ((b.lower - 1e-12 <= G) & (b.upper + 1e-12 >= G)).all(axis=1)
    v = f(G[ok])
    return G[ok][np.argmin(v)], v.min()


def _loglinear():
    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(3), 60)
    Y = np.column_stack([1 + np.exp(X @ [-2.0, 0.5, 1.0]), 2 + np.exp(X @ [1.0, -1.5, -0.2])])
    return laws.make("log-linear").fit(X, Y)


@pytest.mark.parametrize("cap", [None, [0.25, 1.0, 1.0], [0.3, 0.3, 0.5]])
@pytest.mark.parametrize("kl", [0.0, 0.5])
def test_the_exact_optimum_of_a_convex_law_matches_brute_force(cap, kl):
    law = _loglinear()
    b = propose.box(3, cap)
    prior = np.array([0.5, 0.3, 0.2])
    p = propose.propose(law, [0.5, 0.5], b, prior if kl else None, kl, draws=2000)
    f = propose.objective(law, [0.5, 0.5], prior if kl else None, kl)
    x_star, v_star = _brute(f, b)
    assert p.how == "exact" and p.weights.sum() == pytest.approx(1.0)
    assert (p.weights >= b.lower - 1e-9).all() and (p.weights <= b.upper + 1e-9).all()
    assert f(p.weights[None])[0] <= v_star + 1e-9  # at least as good as the finest grid point
    assert np.abs(p.weights - x_star).max() < 0.02


def test_a_cap_that_binds_is_reported():
    law = _loglinear()
    free = propose.propose(law, [1.0, 0.0], propose.box(3), draws=2000)
    j = int(np.argmax(free.weights))
    cap = np.ones(3)
    cap[j] = free.weights[j] / 2
    p = propose.propose(law, [1.0, 0.0], propose.box(3, cap), draws=2000)
    assert p.weights[j] == pytest.approx(cap[j], abs=1e-6) and p.binding["cap"] == [j]


def test_the_search_for_trees_reaches_the_brute_force_optimum():
    rng = np.random.default_rng(1)
    X = rng.dirichlet(np.ones(3), 300)
    y = (X[:, 0] - 0.2) ** 2 + (X[:, 1] - 0.5) ** 2
    law = laws.make("lightgbm").fit(X, y[:, None])
    for cap in (None, [0.15, 1.0, 1.0]):
        b = propose.box(3, cap)
        f = propose.objective(law, [1.0])
        _, v_star = _brute(f, b)
        p = propose.propose(law, [1.0], b, top_k=1, draws=5000)
        assert p.how == "search" and f(p.weights[None])[0] <= v_star + 1e-3
        assert (p.weights <= b.upper + 1e-9).all()


def test_projection_lands_in_the_box_and_keeps_feasible_points():
    b = propose.box(4, [0.5, 0.5, 0.2, 1.0], lower=[0.1, 0, 0, 0])
    Y = np.random.default_rng(0).normal(0, 1, (50, 4))
    P = propose.project(Y, b)
    assert P.sum(axis=1) == pytest.approx(np.ones(50))
    assert (b.lower - 1e-9 <= P).all() and (b.upper + 1e-9 >= P).all()
    assert propose.project(P, b) == pytest.approx(P, abs=1e-9)


def test_caps_and_an_infeasible_box():
    assert propose.caps([100, 10, 0], budget=200, max_repeat=4).tolist() == [1.0, 0.2, 0.0]
    with pytest.raises(ValueError, match="no mixture satisfies the constraints"):
        propose.box(3, propose.caps([10, 10, 10], budget=200, max_repeat=4))
    with pytest.raises(ValueError, match="must be > 0"):
        propose.caps([1, 2], budget=0, max_repeat=4)
