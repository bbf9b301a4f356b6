"""Mixing-law families behind one interface (../shared/ALGORITHMS-2.md section 1). Pure: arrays in, arrays out.

A law maps a mixture x (m shares on the simplex; zero shares allowed) to t metrics (lower is better, e.g. losses):
`fit(X, Y, own=None, steps=None)` with X (n, m) and Y (n, t), then `predict(X)` -> (n, t). `own[i]` names metric i's
own domain (the index of the domain it measures, or None): BiMix's view, a per-skill loss that depends mostly on
that skill's share. Every other family takes RegMix's view, any metric as a function of the whole mixture.

| family | form per metric | convex in x | from |
|---|---|---|---|
| linear | y = b + w . x | yes | RegMix's alternative (scikit-learn) |
| log-linear | y = exp(a) + exp(t . x) | yes | Data Mixing Laws, Olmix `log_linear` (k folded into t: sum x = 1) |
| lightgbm | gradient-boosted trees, RegMix's settings | no (piecewise constant) | RegMix, CLIMB |
| bimix | own domain j: y = K (x_j + eps)^-alpha, times (B s^-beta + C) with steps; | yes | BiMix |
|       | no own domain: y = sum_j F_j (x_j + eps)^-alpha_j | yes | Olmix `bimix` |

BiMix's own form diverges at a zero share, and RegMix's swarm has 43 % zero shares: the shift eps (chosen per
metric from a small grid by the fit's residual) makes every family accept zero shares.

`state()` is the fitted law as JSON-able values and `restore(state)` makes it again, so a fitted law is a file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from scipy.optimize import least_squares

from tasks.mixing.bimix import BiMixLaw

EPS_GRID = (1e-4, 1e-3, 1e-2)  # BiMix's share shift, chosen per metric


class Law(ABC):
    name: ClassVar[str]
    convex: ClassVar[bool]  # every metric's prediction is convex in x (the proposer's optimum is then exact)

    def fit(self, X, Y, own=None, steps=None) -> Law:
        X, Y = check(X, Y)
        self.m_, self.t_ = X.shape[1], Y.shape[1]
        self.own_ = owned(own, self.t_, self.m_)
        self._fit(X, Y, steps)
        return self

    def convex_on(self, columns) -> bool:
        """Whether the predictions of these metrics are convex in x (a family's are all or none)."""
        return self.convex

    def predict(self, X, steps=None, columns=None) -> np.ndarray:
        """(n, t) predictions, or (n, len(columns)) of those metrics only (cheaper for trees)."""
        X = np.atleast_2d(np.asarray(X, np.float64))
        if X.shape[1] != self.m_:
            raise ValueError(f"{self.name}: fitted on {self.m_} domains, got mixtures of {X.shape[1]}")
        cols = list(range(self.t_)) if columns is None else [int(c) for c in columns]
        return self._predict(X, steps, cols)

    @abstractmethod
    def _fit(self, X: np.ndarray, Y: np.ndarray, steps) -> None: ...

    @abstractmethod
    def _predict(self, X: np.ndarray, steps, cols: list[int]) -> np.ndarray: ...

    @abstractmethod
    def _state(self) -> dict: ...

    @abstractmethod
    def _restore(self, state: dict) -> None: ...

    def state(self) -> dict:
        return {"family": self.name, "m": self.m_, "t": self.t_, "own": self.own_, **self._state()}

    @classmethod
    def restore(cls, state: dict) -> Law:
        law = FAMILIES[state["family"]]()
        law.m_, law.t_, law.own_ = state["m"], state["t"], list(state["own"])
        law._restore(state)
        return law


def check(X, Y) -> tuple[np.ndarray, np.ndarray]:
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"need mixtures (n, m) and metrics (n, t) with the same n; got {X.shape} and {Y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(Y).all()) or (X < 0).any():
        raise ValueError("mixtures must be finite and >= 0, metrics finite")
    return X, Y


def owned(own, t: int, m: int) -> list[int | None]:
    if own is None:
        return [None] * t
    own = [None if j is None else int(j) for j in own]
    if len(own) != t or any(j is not None and not 0 <= j < m for j in own):
        raise ValueError(f"own must name, for each of the {t} metrics, a domain in [0, {m}) or None; got {own}")
    return own


class Linear(Law):
    """y = b + w . x per metric (least squares, scikit-learn). Convex (affine)."""

    name, convex = "linear", True

    def _fit(self, X, Y, steps) -> None:
        from sklearn.linear_model import LinearRegression

        r = LinearRegression().fit(X, Y)
        self.coef_, self.intercept_ = np.atleast_2d(r.coef_), np.atleast_1d(r.intercept_)

    def _predict(self, X, steps, cols) -> np.ndarray:
        return X @ self.coef_[cols].T + self.intercept_[cols]

    def _state(self) -> dict:
        return {"coef": self.coef_.tolist(), "intercept": self.intercept_.tolist()}

    def _restore(self, s: dict) -> None:
        self.coef_, self.intercept_ = np.asarray(s["coef"]), np.asarray(s["intercept"])


class LogLinear(Law):
    """Data Mixing Laws: y = exp(a) + exp(t . x) per metric, a robust (Huber) least-squares fit on standardised
    residuals from several starts: for c a fraction of min y, t is the least-squares fit of log(y - c) on x.
    Needs positive metrics. Convex (a constant plus the exponential of an affine function)."""

    name, convex = "log-linear", True
    STARTS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98)

    def __init__(self, huber: float = 0.1):
        self.huber = huber

    def _fit(self, X, Y, steps) -> None:
        if (Y <= 0).any():
            raise ValueError("log-linear: every metric must be > 0 (y = exp(a) + exp(t . x))")
        self.a_ = np.zeros(self.t_)
        self.T_ = np.zeros((self.t_, self.m_))
        for i in range(self.t_):
            self.a_[i], self.T_[i] = self._fit_one(X, Y[:, i])

    def _fit_one(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        scale = float(y.std()) or 1.0

        def res(p):
            return (np.exp(p[0]) + np.exp(X @ p[1:]) - y) / scale

        def jac(p):
            e = np.exp(X @ p[1:])
            return np.column_stack([np.full(len(y), np.exp(p[0])), e[:, None] * X]) / scale

        best = None
        for f in self.STARTS:
            c = f * float(y.min())
            t0 = np.linalg.lstsq(X, np.log(y - c), rcond=None)[0]
            p0 = np.concatenate([[np.log(max(c, 1e-6 * float(y.min())))], t0])
            r = least_squares(res, p0, jac=jac, loss="huber", f_scale=self.huber, max_nfev=200)
            if best is None or r.cost < best.cost:
                best = r
        return float(best.x[0]), best.x[1:]

    def _predict(self, X, steps, cols) -> np.ndarray:
        return np.exp(self.a_[cols]) + np.exp(X @ self.T_[cols].T)

    def _state(self) -> dict:
        return {"a": self.a_.tolist(), "slopes": self.T_.tolist(), "huber": self.huber}

    def _restore(self, s: dict) -> None:
        self.a_, self.T_, self.huber = np.asarray(s["a"]), np.asarray(s["slopes"]), s["huber"]


class LightGBM(Law):
    """Gradient-boosted trees per metric, RegMix's settings (gbdt, 1,000 rounds at learning rate 0.01, seed 42),
    deterministic and single-threaded so a seed gives the same bytes. No early stopping: RegMix's notebook stops on
    its held-out runs, which leaks them into the score. `min_child_samples` follows the swarm's size (LightGBM's 20
    for 200 runs or more, down to 3), so a swarm of tens of runs still grows trees (CLIMB uses 5). Not convex:
    the proposer searches."""

    name, convex = "lightgbm", False

    def __init__(self, n_estimators: int = 1000, learning_rate: float = 0.01, seed: int = 42, **extra):
        self.n_estimators, self.learning_rate, self.seed, self.extra = n_estimators, learning_rate, seed, extra

    def settings(self, n: int) -> dict:
        return {"n_estimators": self.n_estimators, "learning_rate": self.learning_rate, "random_state": self.seed,
                "min_child_samples": max(3, min(20, n // 10)), "n_jobs": 1, "deterministic": True,
                "force_row_wise": True, "verbose": -1} | self.extra  # fmt: skip

    def _fit(self, X, Y, steps) -> None:
        from lightgbm import LGBMRegressor

        self.models_ = [LGBMRegressor(**self.settings(len(X))).fit(X, Y[:, i]).booster_ for i in range(self.t_)]

    def _predict(self, X, steps, cols) -> np.ndarray:
        return np.column_stack([self.models_[i].predict(X, num_threads=1) for i in cols]).reshape(len(X), len(cols))

    def _state(self) -> dict:
        return {"models": [b.model_to_string() for b in self.models_]}

    def _restore(self, s: dict) -> None:
        from lightgbm import Booster

        self.models_ = [Booster(model_str=text) for text in s["models"]]


class BiMix(Law):
    """BiMix's per-skill law on a metric's own domain share, shifted so a zero share is allowed:
    y = K (x_j + eps)^-alpha (log-linear least squares, alpha >= 0, eps from EPS_GRID); with `steps` (two step
    counts or more: a run's checkpoints) the full bivariate law of tasks.mixing.bimix. A metric with no own domain
    gets Olmix's `bimix` form, y = sum_j F_j (x_j + eps)^-alpha_j with F, alpha >= 0. Convex."""

    name, convex = "bimix", True

    def _fit(self, X, Y, steps) -> None:
        self.steps_ = None
        if steps is not None and len(np.unique(steps)) > 1:
            if any(j is None for j in self.own_):
                raise ValueError("bimix with steps needs every metric's own domain (own)")
            self.eps_ = np.full(self.t_, 1e-3)
            self.law_ = BiMixLaw().fit(self._own(X) + 1e-3, np.asarray(steps, np.float64), Y)
            self.steps_ = float(np.max(steps))
            return
        self.eps_, self.K_, self.alpha_ = np.zeros(self.t_), np.zeros(self.t_), np.zeros(self.t_)
        self.F_, self.alphas_ = np.zeros((self.t_, self.m_)), np.zeros((self.t_, self.m_))
        for i, j in enumerate(self.own_):
            if (Y[:, i] <= 0).any():
                raise ValueError("bimix: every metric must be > 0 (a power law)")
            if j is None:
                self.F_[i], self.alphas_[i] = _power_sum(X + 1e-3, Y[:, i])
                self.eps_[i] = 1e-3
            else:
                self.eps_[i], self.K_[i], self.alpha_[i] = _power_own(X[:, j], Y[:, i])

    def _own(self, X: np.ndarray) -> np.ndarray:
        return X[:, [j if j is not None else 0 for j in self.own_]]

    def _predict(self, X, steps, cols) -> np.ndarray:
        if self.steps_ is not None:
            s = self.steps_ if steps is None else steps
            P = self.law_.predict(self._own(X) + 1e-3, np.broadcast_to(np.asarray(s, np.float64), (len(X),)))
            return np.atleast_2d(P)[:, cols]
        out = np.empty((len(X), len(cols)))
        for c, i in enumerate(cols):
            j = self.own_[i]
            if j is None:
                out[:, c] = ((X + self.eps_[i]) ** -self.alphas_[i]) @ self.F_[i]
            else:
                out[:, c] = self.K_[i] * (X[:, j] + self.eps_[i]) ** -self.alpha_[i]
        return out

    def _state(self) -> dict:
        if self.steps_ is not None:
            coef = {key: getattr(self.law_, f"{key}_").tolist() for key in ("A", "B", "C", "alpha", "beta")}
            return {"steps": self.steps_, "bivariate": coef}
        return {"eps": self.eps_.tolist(), "K": self.K_.tolist(), "alpha": self.alpha_.tolist(),
                "F": self.F_.tolist(), "alphas": self.alphas_.tolist()}  # fmt: skip

    def _restore(self, s: dict) -> None:
        self.steps_ = s.get("steps")
        if self.steps_ is not None:
            self.law_ = BiMixLaw()
            for key, v in s["bivariate"].items():
                setattr(self.law_, f"{key}_", np.asarray(v))
            return
        self.eps_, self.K_, self.alpha_ = np.asarray(s["eps"]), np.asarray(s["K"]), np.asarray(s["alpha"])
        self.F_, self.alphas_ = np.asarray(s["F"]), np.asarray(s["alphas"])


def _power_own(r: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(eps, K, alpha) of log y = log K - alpha log(r + eps), alpha >= 0, the eps of EPS_GRID with least error."""
    z = np.log(y)
    best = None
    for eps in EPS_GRID:
        u = -np.log(r + eps)
        var = float(((u - u.mean()) ** 2).sum())
        alpha = max(0.0, float(((u - u.mean()) * (z - z.mean())).sum()) / var) if var > 0 else 0.0
        log_k = float((z - alpha * u).mean())
        sse = float(((z - log_k - alpha * u) ** 2).sum())
        if best is None or sse < best[0]:
            best = (sse, eps, float(np.exp(log_k)), alpha)
    return best[1], best[2], best[3]


def _power_sum(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Olmix's bimix form y = sum_j F_j X_j^-alpha_j (F, alpha >= 0), least squares from F = mean y / m, alpha = 1
    (alpha = 0.1 too; the better fit kept)."""
    m = X.shape[1]
    logx = np.log(X)

    def res(p):
        return (X ** -p[m:]) @ p[:m] - y

    best = None
    for a0 in (1.0, 0.1):
        p0 = np.concatenate([np.full(m, y.mean() / m), np.full(m, a0)])
        r = least_squares(res, p0, bounds=(0, np.inf), jac=lambda p: np.column_stack(
            [X ** -p[m:], -(X ** -p[m:]) * logx * p[:m]]), max_nfev=500)  # fmt: skip
        if best is None or r.cost < best.cost:
            best = r
    return best.x[:m], best.x[m:]


FAMILIES: dict[str, type[Law]] = {c.name: c for c in (Linear, LogLinear, LightGBM, BiMix)}


def make(name: str, **kwargs) -> Law:
    if name not in FAMILIES:
        raise ValueError(f"unknown law family {name!r}: one of {', '.join(FAMILIES)}")
    return FAMILIES[name](**kwargs)
