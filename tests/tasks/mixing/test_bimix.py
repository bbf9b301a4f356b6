import numpy as np
import pytest

from tasks.mixing.bimix import BiMixLaw, optimum

PLANTED = {"A": np.array([2.0, 0.5, 1.0]), "B": np.array([3.0, 8.0, 1.5]), "C": np.array([1.2, 2.0, 3.0]),
           "alpha": np.array([0.05, 0.2, 0.1]), "beta": np.array([0.4, 0.7, 0.3])}  # fmt: skip


def _law(r, s, p=PLANTED):
    return p["A"] / r ** p["alpha"] * (p["B"] / np.asarray(s)[:, None] ** p["beta"] + p["C"])


def _design(noise=0.0, seed=0):
    mixtures = np.array([[1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.25, 0.6, 0.15]])
    steps = np.array([100, 200, 400, 800, 1600, 3200])
    r = np.repeat(mixtures, len(steps), axis=0)
    s = np.tile(steps, len(mixtures)).astype(float)
    loss = _law(r, s) * np.exp(np.random.default_rng(seed).normal(0, noise, r.shape))
    return r, s, loss


def test_fit_recovers_planted_coefficients_up_to_the_a_scale():
    r, s, loss = _design()
    law = BiMixLaw().fit(r, s, loss)
    assert law.alpha_ == pytest.approx(PLANTED["alpha"], rel=1e-4)
    assert law.beta_ == pytest.approx(PLANTED["beta"], rel=1e-4)
    # A and (B, C) share one factor: the fit reports A = 1, so B and C carry the planted A
    fitted_b, fitted_c = law.B_, law.C_
    assert fitted_b == pytest.approx(PLANTED["A"] * PLANTED["B"], rel=1e-4)
    assert fitted_c == pytest.approx(PLANTED["A"] * PLANTED["C"], rel=1e-4)
    assert (law.r2_ > 0.9999).all()
    assert law.predict(r, s) == pytest.approx(loss, rel=1e-6)


def test_fit_under_noise_stays_close_and_says_how_well_it_fits():
    r, s, loss = _design(noise=0.005, seed=1)
    law = BiMixLaw().fit(r, s, loss)
    assert np.abs(law.alpha_ - PLANTED["alpha"]).max() < 0.02
    assert np.abs(law.beta_ - PLANTED["beta"]).max() < 0.1
    assert (law.r2_ > 0.95).all() and (law.r2_ < 1).all()
    held = np.array([[0.2, 0.5, 0.3]])
    assert law.predict(held, [6400]) == pytest.approx(_law(held, [6400.0]), rel=0.02)


def test_optimal_mixture_matches_a_brute_force_search_of_the_simplex():
    r, s, loss = _design()
    law = BiMixLaw().fit(r, s, loss)
    best = law.optimal_mixture(5000)
    assert best.sum() == pytest.approx(1.0) and (best > 0).all()
    g = np.arange(0.002, 1, 0.002)
    a, b = np.meshgrid(g, g)
    grid = np.stack([a.ravel(), b.ravel(), 1 - a.ravel() - b.ravel()], 1)
    grid = grid[grid[:, 2] > 0]
    total = law.predict(grid, 5000).sum(1)
    assert law.predict(best, 5000).sum() <= total.min() + 1e-9
    assert np.abs(grid[np.argmin(total)] - best).max() < 0.004


def test_weighting_a_skill_moves_mass_to_it_and_the_optimum_needs_positive_terms():
    k, alpha = np.array([1.0, 1.0, 1.0]), np.array([0.1, 0.1, 0.1])
    assert optimum(k, alpha) == pytest.approx([1 / 3] * 3)
    assert optimum(k * [4, 1, 1], alpha)[0] > 0.5
    law = BiMixLaw().fit(*_design())
    assert law.optimal_mixture(5000, [5, 1, 1])[0] > law.optimal_mixture(5000)[0]
    with pytest.raises(ValueError, match="K > 0 and alpha > 0"):
        optimum(np.array([1.0, 0.0]), np.array([0.1, 0.1]))


def test_bad_observations_are_named():
    r, s, loss = _design()
    with pytest.raises(ValueError, match=r"need proportions and losses \(n, k\) and steps \(n,\)"):
        BiMixLaw().fit(r, s[:-1], loss)
    with pytest.raises(ValueError, match="finite and > 0"):
        BiMixLaw().fit(np.where(r > 0.5, 0.0, r), s, loss)
    one = np.repeat([[0.5, 0.5]], 4, axis=0)
    with pytest.raises(ValueError, match="skill 0: the law needs at least two proportions"):
        BiMixLaw().fit(one, np.array([1.0, 2, 3, 4]), np.ones((4, 2)))


def test_bounds_keep_the_optimum_where_the_fit_has_seen_data():
    law = BiMixLaw().fit(*_design())
    free = law.optimal_mixture(5000)
    lower, upper = np.array([0.25, 0.1, 0.1]), np.array([0.6, 0.6, 0.6])  # the free optimum has r_0 = 0.19
    boxed = law.optimal_mixture(5000, lower=lower, upper=upper)
    assert boxed.sum() == pytest.approx(1.0) and (boxed >= lower - 1e-9).all() and (boxed <= upper + 1e-9).all()
    assert free[0] < 0.25 and boxed[0] == pytest.approx(0.25)  # the bound binds
    g = np.arange(0.1, 0.6001, 0.001)
    a, b = np.meshgrid(g, g)
    grid = np.stack([a.ravel(), b.ravel(), 1 - a.ravel() - b.ravel()], 1)
    grid = grid[(grid >= lower - 1e-9).all(1) & (grid <= upper + 1e-9).all(1)]
    total = law.predict(grid, 5000).sum(1)
    assert law.predict(boxed, 5000).sum() <= total.min() + 1e-9
    with pytest.raises(ValueError, match="no mixture within the bounds"):
        optimum(np.ones(3), np.full(3, 0.1), lower=[0.5, 0.5, 0.1])
