"""Cross-validation of the families, their stack, and auto's per-metric choice."""

import json

import numpy as np
import pytest

from tasks.mixing import select


def _swarm(n=100, m=4, seed=0):
    X = np.random.default_rng(seed).dirichlet(np.ones(m), n)
    noise = np.random.default_rng(seed + 1).normal(0, 1e-3, (n, 2))
    Y = np.column_stack([2 + X @ [1.0, -1.0, 0.5, 0.0], 1 + np.exp(X @ [-3.0, 1.0, 0.0, 2.0])]) + noise
    return X, Y


def test_the_table_scores_every_family_and_the_stack_per_metric():
    X, Y = _swarm()
    table, oof, failed = select.cross_validate(X, Y, k=4)
    assert set(table) == {"linear", "log-linear", "lightgbm", "bimix", "stack"} and failed == {}
    for scores in table.values():
        assert len(scores) == 2 and all(-1 <= s["spearman"] <= 1 and s["mae"] >= 0 for s in scores)
    assert oof["linear"].shape == Y.shape
    # the planted forms win their metrics: linear (or a stack of it) fits the affine metric almost exactly
    assert table["linear"][0]["spearman"] > 0.99 and table["log-linear"][1]["spearman"] > 0.99
    assert table["linear"][0]["mae"] < table["lightgbm"][0]["mae"]


def test_auto_chooses_per_metric_the_best_cross_validated_candidate_and_restores():
    X, Y = _swarm()
    law, report = select.auto(X, Y, k=4)
    t = report["table"]
    for i, c in enumerate(report["chosen"]):
        assert t[c][i]["spearman"] >= max(v[i]["spearman"] for v in t.values()) - select.TIE
    assert (law.weights_ >= 0).all() and law.weights_.shape[0] == 2
    X2, _ = _swarm(seed=5)
    again = select.restore(json.loads(json.dumps(law.state(), sort_keys=True)))  # as io.write_json writes it
    assert again.predict(X2) == pytest.approx(law.predict(X2))


def test_a_family_that_cannot_fit_is_reported_not_fatal():
    X, Y = _swarm()
    Y = Y - 10.0  # negative metrics: no log-linear, no power law
    table, _, failed = select.cross_validate(X, Y, k=3)
    assert set(failed) == {"log-linear", "bimix"} and "log-linear" not in table
    with pytest.raises(ValueError, match="log-linear"):
        select.fit("log-linear", X, Y, k=3)


def test_choose_breaks_a_near_tie_by_error():
    table = {"a": [{"spearman": 0.9000, "mae": 0.5}], "b": [{"spearman": 0.8995, "mae": 0.1}],
             "c": [{"spearman": 0.5, "mae": 0.0}]}  # fmt: skip
    assert select.choose(table) == ["b"]


def test_folds_need_enough_runs():
    with pytest.raises(ValueError, match="at least 5 runs"):
        select.folds(4, 5, 0)


def test_a_blend_is_convex_on_the_metrics_whose_families_are():
    from tasks.mixing import laws

    X, Y = _swarm()
    members = {f: laws.make(f).fit(X, Y) for f in ("log-linear", "lightgbm")}  # not in sorted order
    law = select.Blend(members, [[0.0, 1.0], [1.0, 0.0]])
    law.m_, law.t_, law.own_ = 4, 2, [None, None]
    assert not law.convex and not law.convex_on([0]) and law.convex_on([1])
    assert law.predict(X)[:, 1] == pytest.approx(members["log-linear"].predict(X)[:, 1])
    # written as io.write_json writes (sorted keys), it restores to the same predictions
    again = select.restore(json.loads(json.dumps(law.state(), sort_keys=True)))
    assert again.predict(X) == pytest.approx(law.predict(X))
