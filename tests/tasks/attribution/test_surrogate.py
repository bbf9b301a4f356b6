"""The TRAK surrogate: a stratified sample, features from what a run holds, and a k-fold-chosen regression that
recovers planted scores and keeps TRAK's scale and sign."""

import numpy as np
import pytest

from tasks.attribution import surrogate


def _planted(n=600, dim=32, k=4, seed=0):
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n, dim))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    skills = rng.integers(0, k, n)
    lengths = rng.integers(10, 3000, n)
    sources = np.array(["code", "docs", "web"])[rng.integers(0, 3, n)]
    y = 0.01 * emb @ rng.normal(size=dim) + 0.0005 * rng.normal(size=n)  # a linear score of the embedding
    return surrogate.features(emb, skills, k, lengths, sources), y, skills


def test_a_surrogate_recovers_a_planted_linear_score_from_embeddings():
    x, y, skills = _planted()
    sample = surrogate.stratified_sample(skills, 300, seed=0)
    fit = surrogate.fit(x[sample], y[sample], skills[sample], candidates=("ridge", "mlp"), folds=5, seed=0)
    assert fit.surrogate.name == "ridge" and fit.cv["ridge"]["rho"] > 0.9 > fit.skill_mean_rho
    assert fit.rho > 0.9 and fit.within_skill_rho > 0.85 and all(r > 0.8 for r in fit.per_skill.values())
    rest = np.setdiff1d(np.arange(len(y)), sample)
    pred = fit.surrogate.predict(x[rest])
    assert surrogate.spearman(pred, y[rest]) > 0.9  # documents it never saw
    # TRAK's scale and sign: predictions are mapped onto the sample's score distribution
    assert y[sample].min() <= pred.min() and pred.max() <= y[sample].max()
    assert fit.oof.shape == (len(sample),) and surrogate.spearman(fit.oof, y[sample]) == pytest.approx(fit.rho)


def test_a_score_unrelated_to_the_features_is_reported_near_zero():
    x, _, skills = _planted()
    noise = np.random.default_rng(5).normal(size=len(x))
    fit = surrogate.fit(x[:200], noise[:200], skills[:200], candidates=("ridge",), seed=0)
    assert abs(fit.rho) < 0.25


def test_the_same_seed_gives_the_same_surrogate():
    x, y, skills = _planted()
    a, b = (surrogate.fit(x[:200], y[:200], skills[:200], candidates=("ridge", "lightgbm"), seed=3) for _ in range(2))
    assert [(c["rho"], c["folds"]) for c in a.cv.values()] == [(c["rho"], c["folds"]) for c in b.cv.values()]
    assert np.array_equal(a.surrogate.predict(x[200:]), b.surrogate.predict(x[200:]))


def test_the_sample_is_exact_stratified_by_the_square_root_and_seeded():
    groups = np.repeat([0, 1, 2, 3], [900, 100, 25, 5])
    idx = surrogate.stratified_sample(groups, 200, seed=1)
    counts = np.bincount(groups[idx], minlength=4)
    assert len(idx) == 200 == counts.sum() and len(set(idx.tolist())) == 200 and np.all(np.diff(idx) > 0)
    assert counts[3] == 5 and counts[2] >= 20  # a small skill is taken whole, the others get at least 20
    assert counts[0] > counts[1] > counts[2] and counts[0] < 900 * 200 / 1030  # sqrt: big skills give up share
    assert np.array_equal(idx, surrogate.stratified_sample(groups, 200, seed=1))
    assert not np.array_equal(idx, surrogate.stratified_sample(groups, 200, seed=2))
    floors = np.bincount(groups[surrogate.stratified_sample(groups, 80, seed=1)])
    assert floors.tolist() == [35, 20, 20, 5]  # sqrt alone would give 51, 17, 8, 4: the floor is kept
    assert len(surrogate.stratified_sample(groups, 1030, seed=0)) == 1030  # everything
    with pytest.raises(ValueError, match="a sample of 1031 from 1030"):
        surrogate.stratified_sample(groups, 1031, seed=0)


def test_features_hold_embedding_skill_length_and_source():
    x = surrogate.features(np.eye(3, 4), np.array([0, 2, 1]), 3, np.array([0, 9, 99]), np.array(["b", "a", "b"]))
    assert x.shape == (3, 4 + 3 + 1 + 2)
    assert np.array_equal(x[:, 4:7], np.eye(3)[[0, 2, 1]]) and np.allclose(x[:, 7], np.log1p([0, 9, 99]))
    assert np.array_equal(x[:, 8:], [[0, 1], [1, 0], [0, 1]])
    with pytest.raises(ValueError, match="as many skills"):
        surrogate.features(np.eye(3, 4), np.array([0, 1]), 3, np.zeros(3), np.array(["a"] * 3))


def test_too_small_a_sample_or_an_unknown_candidate_is_refused():
    x, y, skills = _planted(n=100)
    with pytest.raises(ValueError, match=f"at least {surrogate.MIN_SAMPLE}"):
        surrogate.fit(x[:49], y[:49], skills[:49])
    with pytest.raises(ValueError, match="unknown surrogate 'svm'"):
        surrogate.fit(x, y, skills, candidates=("svm",))
