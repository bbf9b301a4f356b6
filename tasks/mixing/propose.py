"""The proposer: the mixture a fitted law predicts best, under a token budget's repetition caps, optional bounds and
an optional KL penalty to a prior (Olmix's exact proposer, ALGORITHMS-2.md 1.3c). Pure.

    minimise_x   sum_i w_i law_i(x) + kl * sum_j x_j log(x_j / q_j)
    subject to   sum_j x_j = 1,  lower_j <= x_j <= min(upper_j, tokens_j * max_repeat / budget)

For a convex law the optimum is exact: SLSQP (scipy) from the best of a search, the prior and the box's centre, the
best of those solutions kept. For a law that is not convex (trees) the optimum is found by search: rounds of
Dirichlet draws around the current centre, projected onto the constraints, then the mean of the top-k (RegMix's
answer to a piecewise-constant predictor: the average of the best region, not its noisiest point).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import xlogy

TOL = 1e-6  # a share within TOL of a bound binds


@dataclass(frozen=True)
class Box:
    """Per-domain bounds on the simplex: the caps of the token budget folded into `upper`."""

    lower: np.ndarray
    upper: np.ndarray
    cap: np.ndarray | None = None  # the repetition caps alone (for reporting which bind)


@dataclass(frozen=True)
class Proposal:
    weights: np.ndarray
    objective: float  # the law's weighted prediction (without the KL term)
    how: str  # exact (convex law) or search
    binding: dict[str, list[int]] = field(default_factory=dict)  # cap, lower, upper: domains at that bound


def caps(tokens, budget: float, max_repeat: float) -> np.ndarray:
    """Each domain's largest share of a `budget`-token run that repeats its tokens at most `max_repeat` times."""
    tokens = np.asarray(tokens, np.float64)
    if budget <= 0 or max_repeat <= 0 or (tokens < 0).any():
        raise ValueError("the budget and max repeat must be > 0 and token counts >= 0")
    return np.minimum(1.0, tokens * max_repeat / budget)


def box(m: int, cap=None, lower=None, upper=None) -> Box:
    """The feasible box, refused (naming the sums) when no mixture fits in it."""
    lo = np.zeros(m) if lower is None else np.asarray(lower, np.float64)
    hi = np.ones(m) if upper is None else np.asarray(upper, np.float64)
    if cap is not None:
        hi = np.minimum(hi, np.asarray(cap, np.float64))
    if lo.shape != (m,) or hi.shape != (m,):
        raise ValueError(f"bounds must have one value per domain ({m})")
    if (lo > hi + 1e-12).any() or lo.sum() > 1 + 1e-9 or hi.sum() < 1 - 1e-9:
        raise ValueError(f"no mixture satisfies the constraints: lower bounds sum to {lo.sum():.4f}, upper "
                         f"bounds (with the repetition caps) to {hi.sum():.4f}; raise --max-repeat or the budget's "
                         "tokens")  # fmt: skip
    return Box(lo, hi, None if cap is None else np.asarray(cap, np.float64))


def project(Y: np.ndarray, b: Box) -> np.ndarray:
    """Euclidean projection of each row onto {lower <= x <= upper, sum x = 1}: x = clip(y - tau, lower, upper), tau
    by bisection (the sum is non-increasing in tau)."""
    Y = np.atleast_2d(np.asarray(Y, np.float64))
    lo_t = (Y - b.upper).min(axis=1) - 1.0
    hi_t = (Y - b.lower).max(axis=1) + 1.0
    for _ in range(100):
        mid = (lo_t + hi_t) / 2
        s = np.clip(Y - mid[:, None], b.lower, b.upper).sum(axis=1)
        lo_t = np.where(s > 1, mid, lo_t)
        hi_t = np.where(s > 1, hi_t, mid)
    X = np.clip(Y - ((lo_t + hi_t) / 2)[:, None], b.lower, b.upper)
    return X / X.sum(axis=1, keepdims=True)


def objective(law, weights, prior=None, kl: float = 0.0):
    """f(X) -> (n,): the law's weighted metrics plus kl * KL(x || prior)."""
    w = np.asarray(weights, np.float64)
    q = None if prior is None else np.maximum(np.asarray(prior, np.float64), 1e-12)
    q = None if q is None else q / q.sum()
    cols = np.flatnonzero(w)

    def f(X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(X)
        v = law.predict(X, columns=cols) @ w[cols]
        if kl > 0:
            v = v + kl * (xlogy(X, X) - X * np.log(q)).sum(axis=1)
        return v

    return f


def search(f, b: Box, center: np.ndarray, seed: int = 0, draws: int = 20000, rounds: int = 4,
           top_k: int = 128) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(mean of the top-k draws, the best draw): rounds of Dirichlet draws at strengths log-spread in [1, 1000] x m
    around the centre (plus flat draws), projected onto the box; each round's centre is the last one's top-k mean."""
    rng = np.random.default_rng(seed)
    m = len(center)
    c = project(center, b)[0]
    pool_x, pool_v = [c[None]], [f(c[None])]
    for _ in range(rounds):
        strength = np.exp(rng.uniform(np.log(1.0), np.log(1000.0), draws))[:, None] * m
        alpha = np.maximum(c * strength, 1e-3)
        D = rng.gamma(alpha)
        D = np.vstack([D / D.sum(axis=1, keepdims=True), rng.dirichlet(np.ones(m), draws // 4)])
        X = project(D, b)
        pool_x.append(X)
        pool_v.append(f(X))
        allx, allv = np.vstack(pool_x), np.concatenate(pool_v)
        top = np.argsort(allv, kind="stable")[: max(1, top_k)]
        c = allx[top].mean(axis=0)
    allx, allv = np.vstack(pool_x), np.concatenate(pool_v)
    return c / c.sum(), allx[int(np.argmin(allv))]


def propose(law, weights, b: Box, prior=None, kl: float = 0.0, seed: int = 0, top_k: int = 128,
            draws: int = 20000) -> Proposal:  # fmt: skip
    """The law's best mixture within the box (exact when the objective's metrics are convex in x, by search
    otherwise)."""
    f = objective(law, weights, prior, kl)
    m = len(b.lower)
    start = np.full(m, 1.0 / m) if prior is None else np.asarray(prior, np.float64) / np.sum(prior)
    mean, best = search(f, b, start, seed, draws=draws, top_k=top_k)
    if law.convex_on(np.flatnonzero(np.asarray(weights))):  # the objective's metrics only
        x, how = exact(f, b, [best, mean, project(start, b)[0], project(np.full(m, 1.0 / m), b)[0]]), "exact"
    else:
        x, how = mean, "search"
    return Proposal(x, float(objective(law, weights)(x[None])[0]), how, binding(x, b))


def exact(f, b: Box, starts: list[np.ndarray]) -> np.ndarray:
    """SLSQP on the convex problem from each start; the best solution (projected onto the box)."""
    lo = b.lower
    cons = [{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones_like(x)}]
    best, best_v = None, np.inf
    for x0 in starts:
        r = minimize(lambda x: float(f(x[None])[0]), x0, method="SLSQP", bounds=list(zip(lo, b.upper, strict=True)),
                     constraints=cons, options={"ftol": 1e-12, "maxiter": 1000})  # fmt: skip
        x = project(np.clip(r.x, lo, b.upper), b)[0]
        v = float(f(x[None])[0])
        if v < best_v:
            best, best_v = x, v
    return best


def binding(x: np.ndarray, b: Box) -> dict[str, list[int]]:
    """The domains whose share sits at a repetition cap, a lower bound or another upper bound."""
    out = {"cap": [], "lower": [], "upper": []}
    for j, v in enumerate(x):
        if b.upper[j] < 1 and v >= b.upper[j] - TOL:
            out["cap" if b.cap is not None and b.cap[j] <= b.upper[j] + 1e-12 else "upper"].append(j)
        elif b.lower[j] > 0 and v <= b.lower[j] + TOL:
            out["lower"].append(j)
    return out
