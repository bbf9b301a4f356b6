"""Choosing a law: k-fold cross-validation of each family on a swarm, a stack of the families, and `auto`. Pure.

Each family's out-of-fold predictions give, per metric, the Spearman rank correlation with the measured values (what
a mixture search needs: the order of mixtures) and the mean absolute error. The stack weighs the families' predictions
per metric by non-negative least squares on the out-of-fold predictions; its own score is nested (each fold's
weights come from the other folds' rows). `auto` takes, per metric, the candidate (a family or the stack) with the
highest rank correlation (ties within 1e-3 by the lower error), refitted on every run: a `Blend` of the families.
The chosen candidates' cross-validation scores are optimistic (they won a comparison on those folds); the honest
check of a choice is a held-out set it never saw.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls
from scipy.stats import spearmanr

from tasks.mixing.laws import FAMILIES, Law, check, make, owned

TIE = 1e-3


class Blend(Law):
    """Per metric, a non-negative combination of fitted family laws (one-hot: a single family). Convex when every
    family it uses is convex."""

    name = "auto"

    def __init__(self, members: dict[str, Law] | None = None, weights=None):
        self.members_ = members or {}
        self.weights_ = None if weights is None else np.asarray(weights, np.float64)  # (t, len(members))

    @property
    def convex(self) -> bool:  # type: ignore[override]
        return self.convex_on(range(self.t_))

    def convex_on(self, columns) -> bool:
        used = [n for j, n in enumerate(self.members_) if (self.weights_[list(columns), j] > 0).any()]
        return all(self.members_[n].convex for n in used)

    def _fit(self, X, Y, steps) -> None:
        raise TypeError("a Blend is made by `auto`, not fitted")

    def _predict(self, X, steps, cols) -> np.ndarray:
        out = np.zeros((len(X), len(cols)))
        for j, law in enumerate(self.members_.values()):
            w = self.weights_[cols, j]
            used = [c for c, v in zip(cols, w, strict=True) if v > 0]
            if used:
                part = law.predict(X, steps, used)
                out[:, [cols.index(c) for c in used]] += part * w[w > 0]
        return out

    def _state(self) -> dict:  # weights by member name: a JSON writer may sort the members' keys
        return {"members": {n: law.state() for n, law in self.members_.items()},
                "weights": {n: self.weights_[:, j].tolist() for j, n in enumerate(self.members_)}}  # fmt: skip

    def _restore(self, s: dict) -> None:
        self.members_ = {n: Law.restore(st) for n, st in s["members"].items()}
        self.weights_ = np.column_stack([s["weights"][n] for n in self.members_])


def restore(state: dict) -> Law:
    """A fitted law from its `state()`: a family or a Blend."""
    if state["family"] == Blend.name:
        b = Blend()
        b.m_, b.t_, b.own_ = state["m"], state["t"], list(state["own"])
        b._restore(state)
        return b
    return Law.restore(state)


def folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    """k shuffled folds of range(n) (scikit-learn's KFold)."""
    from sklearn.model_selection import KFold

    if n < max(k, 3):
        raise ValueError(f"cross-validation needs at least {max(k, 3)} runs; got {n}")
    return [test for _, test in KFold(k, shuffle=True, random_state=seed).split(np.zeros(n))]


def out_of_fold(family: str, X: np.ndarray, Y: np.ndarray, own, parts: list[np.ndarray], steps=None) -> np.ndarray:
    """(n, t) predictions of each run by the family fitted on the other folds."""
    P = np.empty_like(Y)
    for test in parts:
        train = np.setdiff1d(np.arange(len(X)), test)
        s = None if steps is None else np.asarray(steps)[train]
        law = make(family).fit(X[train], Y[train], own, s)
        P[test] = law.predict(X[test], None if steps is None else np.asarray(steps)[test])
    return P


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Spearman rank correlation and mean absolute error of predictions p of measured y (one metric)."""
    rho = float(spearmanr(y, p).statistic) if np.ptp(p) > 0 and np.ptp(y) > 0 else 0.0
    return {"spearman": rho, "mae": float(np.mean(np.abs(p - y)))}


def stack_weights(preds: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative weights of the candidates' predictions (n, F) that best fit y."""
    w, _ = nnls(preds, y)
    return w if w.sum() > 0 else np.full(preds.shape[1], 1.0 / preds.shape[1])


def stacked_out_of_fold(oof: dict[str, np.ndarray], Y: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    """(n, t) nested predictions of the stack: each fold weighted by weights fitted on the other folds' rows."""
    F = np.stack(list(oof.values()), axis=-1)  # (n, t, F)
    P = np.empty_like(Y)
    for test in parts:
        train = np.setdiff1d(np.arange(len(Y)), test)
        for i in range(Y.shape[1]):
            P[test, i] = F[test, i] @ stack_weights(F[train, i], Y[train, i])
    return P


Table = dict[str, list[dict]]


def cross_validate(X, Y, own=None, families=tuple(FAMILIES), k: int = 5, seed: int = 0, steps=None,
                   stack: bool = True) -> tuple[Table, dict[str, np.ndarray], dict[str, str]]:  # fmt: skip
    """({candidate: per-metric scores}, {candidate: out-of-fold predictions}, {family: why it could not fit}) over
    the families (and their stack, from two families up)."""
    X, Y = check(X, Y)
    own = owned(own, Y.shape[1], X.shape[1])
    parts = folds(len(X), k, seed)
    oof, failed = {}, {}
    for f in families:
        try:
            oof[f] = out_of_fold(f, X, Y, own, parts, steps)
        except ValueError as e:
            failed[f] = str(e)
    if not oof:
        raise ValueError("no law family could fit this swarm: " + "; ".join(f"{k}: {v}" for k, v in failed.items()))
    if stack and len(oof) > 1:
        oof = oof | {"stack": stacked_out_of_fold(oof, Y, parts)}
    table = {c: [scores(Y[:, i], P[:, i]) for i in range(Y.shape[1])] for c, P in oof.items()}
    return table, oof, failed


def choose(table: dict[str, list[dict]]) -> list[str]:
    """Per metric, the candidate with the highest rank correlation (within 1e-3: the lower error)."""
    t = len(next(iter(table.values())))
    out = []
    for i in range(t):
        best = max(table[c][i]["spearman"] for c in table)
        near = [c for c in table if table[c][i]["spearman"] >= best - TIE]
        out.append(min(near, key=lambda c: table[c][i]["mae"]))
    return out


def auto(X, Y, own=None, families=tuple(FAMILIES), k: int = 5, seed: int = 0, steps=None,
         stack: bool = True) -> tuple[Blend, dict]:  # fmt: skip
    """The auto law (a Blend refitted on every run) and its report: the cross-validation table, the choice per
    metric and the families that could not fit."""
    X, Y = check(X, Y)
    table, oof, failed = cross_validate(X, Y, own, families, k, seed, steps, stack)
    chosen = choose(table)
    names = [f for f in families if f in oof]
    members = {f: make(f).fit(X, Y, own, steps) for f in names if any(c in (f, "stack") for c in chosen)}
    W = np.zeros((Y.shape[1], len(members)))
    for i, c in enumerate(chosen):
        if c == "stack":
            w = stack_weights(np.column_stack([oof[f][:, i] for f in names]), Y[:, i])
            for f, v in zip(names, w, strict=True):
                W[i, list(members).index(f)] = v
        else:
            W[i, list(members).index(c)] = 1.0
    blend = Blend(members, W)
    blend.m_, blend.t_, blend.own_ = X.shape[1], Y.shape[1], owned(own, Y.shape[1], X.shape[1])
    return blend, {"folds": k, "seed": seed, "table": table, "chosen": chosen, "failed": failed, "oof": oof}


def fit(family: str, X, Y, own=None, k: int = 5, seed: int = 0, steps=None) -> tuple[Law, dict]:
    """A law of `family` (or `auto`) and its cross-validation report (every family's, for comparison)."""
    if family == "auto":
        return auto(X, Y, own, k=k, seed=seed, steps=steps)
    table, oof, failed = cross_validate(X, Y, own, tuple(FAMILIES), k, seed, steps, stack=False)
    if family in failed:
        raise ValueError(f"{family}: {failed[family]}")
    report = {
        "folds": k,
        "seed": seed,
        "table": table,
        "chosen": [family] * np.shape(Y)[1],
        "failed": failed,
        "oof": oof,
    }
    return make(family).fit(X, Y, own, steps), report
