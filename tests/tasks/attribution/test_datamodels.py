import numpy as np
import pytest

from tasks.attribution import datamodels as dm


def test_random_subsets_have_the_requested_size_and_a_seed_gives_the_same_masks():
    m = dm.random_subsets(10, 30, alpha=0.5, seed=4)
    assert m.shape == (30, 10) and (m.sum(1) == 5).all() and len({r.tobytes() for r in m}) > 20
    assert np.array_equal(m, dm.random_subsets(10, 30, alpha=0.5, seed=4))
    with pytest.raises(ValueError, match="0 < alpha < 1"):
        dm.random_subsets(10, 3, alpha=1.0)


def test_group_datamodel_recovers_planted_benefits_and_their_sign():
    rng = np.random.default_rng(0)
    benefit = np.array([0.30, -0.20, 0.05, 0.0, 0.12, -0.07])  # group 1 hurts the target
    masks = dm.random_subsets(6, 40, seed=1)
    losses = 4.0 - masks @ benefit + rng.normal(scale=0.01, size=40)
    got, intercept = dm.group_benefit(masks, losses)
    # fixed-size subsets identify benefits up to one shared shift (the intercept takes it): compare differences
    np.testing.assert_allclose(got[:, 0] - got[:, 0].mean(), benefit - benefit.mean(), atol=0.02)
    assert got[:, 0].argmax() == 0 and got[:, 0].argmin() == 1
    held = dm.random_subsets(6, 20, seed=2)
    actual = 4.0 - held @ benefit + rng.normal(scale=0.01, size=20)
    assert dm.lds(dm.predicted_loss(held, got[:, 0], intercept[0]), actual) > 0.9
    with pytest.raises(ValueError, match="one row per run"):
        dm.group_benefit(masks, losses[:-1])


def test_selection_takes_the_best_scores_that_fit_the_budget():
    score = np.array([0.9, 0.1, 0.8, -0.5, 0.7, 0.3])
    tokens = np.array([50, 10, 60, 10, 20, 30])
    top = dm.select(score, tokens, budget=100)
    assert top.tolist() == [0, 4, 5] and tokens[top].sum() <= 100  # 2 (60) does not fit after 0; 4 and 5 do
    bottom = dm.select(score, tokens, budget=100, lowest=True)
    assert bottom.tolist() == [1, 3, 4, 5] and score[bottom].mean() < score[top].mean()
    per = dm.select(score, tokens, budget=0, groups=np.array([0, 0, 1, 1, 1, 0]), group_budgets=np.array([40, 70]))
    assert per.tolist() == [1, 2, 3, 5]  # group 0: 0 is too big, 5 then 1; group 1: 2 then 3 (4 no longer fits)
    with pytest.raises(ValueError, match="go together"):
        dm.select(score, tokens, 10, groups=np.zeros(6, int))


def test_keep_top_fills_the_budget_globally_and_within_skills():
    score = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0])
    tokens = np.array([10, 10, 10, 10, 10, 100])
    assert dm.keep_top(score, tokens, 0.25).tolist() == [0, 1, 2]  # 37 of 150 tokens: a 4th 10 does not fit
    skills = np.array([0, 0, 0, 1, 1, 1])
    # skill 0: 30 tokens, keep 12 -> its best; skill 1: 120 tokens, keep 48 -> its two 10s, not the 100
    assert dm.keep_top(score, tokens, 0.4, skills).tolist() == [0, 3, 4]
    # a skill whose budget (10 % of 50) is smaller than its best document still keeps that document
    assert dm.keep_top(np.array([1.0, 0.0, 2.0]), np.array([5, 5, 50]), 0.1, np.array([0, 0, 1])).tolist() == [0, 2]
    with pytest.raises(ValueError, match="keep must be in"):
        dm.keep_top(score, tokens, 0.0)


def test_combined_score_standardises_targets_before_averaging():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([300.0, 100.0, 200.0])
    assert dm.combined_score({"a": a}).tolist() == a.tolist()
    assert dm.combined_score({"a": a, "b": b}, target="b").tolist() == b.tolist()
    both = dm.combined_score({"a": a, "b": b})
    assert np.argsort(both).tolist() == [1, 0, 2]  # z-scores a (-1.2, 0, 1.2), b (1.2, -1.2, 0)
    with pytest.raises(ValueError, match="target 'c' not attributed"):
        dm.combined_score({"a": a}, target="c")
