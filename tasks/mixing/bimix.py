"""BiMix: the bivariate data-mixing law and its optimal mixture (../shared/ALGORITHMS.md section 4). Pure.

Each skill's loss as a function of its proportion r and the training step s:

    L_i(r, s) = (A_i / r^alpha_i) * (B_i / s^beta_i + C_i)

A_i and (B_i, C_i) are identified only up to a common factor (c A_i, B_i / c, C_i / c give the same law), so
the fit reports them normalised to A_i = 1: C_i is then the skill's loss floor when it is the whole mixture
and B_i its reducible part's scale. Fitted per skill, independently (the law has no cross-skill terms), by
trust-region-reflective least squares on log L with bounds B, C > 0 and alpha, beta in (0, 2), from several
starting points, keeping the best.

The optimum at a step count s minimises sum_i w_i L_i(r_i, s) on the simplex: with K_i = w_i A_i (B_i s^-beta_i
+ C_i), KKT gives r_i(lam) = (alpha_i K_i / lam)^(1 / (1 + alpha_i)), and sum_i r_i(lam) = 1 is solved by
bisection on log lam (the sum is strictly decreasing in lam). The optimum is interior.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

_STARTS = (  # (alpha, beta, B / min L, C / min L) starting points, the first the recommended one
    (0.05, 0.3, 1.0, 1.0),
    (0.2, 0.5, 5.0, 0.9),
    (0.01, 0.1, 0.5, 0.5),
    (0.5, 1.0, 20.0, 1.0),
)


class BiMixLaw:
    """scikit-learn style: `fit(proportions, steps, losses)` with (n, k) proportions and losses and (n,) steps
    (one row per observation: a mixture at a checkpoint), then `predict`, `optimal_mixture`. Fitted attributes
    (each (k,)): `A_` (ones), `B_`, `C_`, `alpha_`, `beta_`, and `r2_` (R^2 of log L per skill)."""

    def __init__(self, max_alpha: float = 2.0, max_beta: float = 2.0):
        self.max_alpha, self.max_beta = max_alpha, max_beta

    def fit(self, proportions, steps, losses) -> BiMixLaw:
        r, s, loss = _observations(proportions, steps, losses)
        k = r.shape[1]
        coef = np.zeros((k, 4))
        self.r2_ = np.zeros(k)
        for i in range(k):
            coef[i], self.r2_[i] = self._fit_one(r[:, i], s, loss[:, i], i)
        self.alpha_, self.beta_, self.B_, self.C_ = coef.T.copy()
        self.A_ = np.ones(k)
        return self

    def _fit_one(self, r: np.ndarray, s: np.ndarray, loss: np.ndarray, i: int) -> tuple[np.ndarray, float]:
        if len(np.unique(r)) < 2 or len(np.unique(s)) < 2:
            raise ValueError(f"skill {i}: the law needs at least two proportions and two step counts to fit "
                             f"(got {len(np.unique(r))} and {len(np.unique(s))})")  # fmt: skip
        y = np.log(loss)
        lr, ls = np.log(r), np.log(s)

        def residual(p: np.ndarray) -> np.ndarray:  # p = alpha, beta, log B, log C
            return -p[0] * lr + np.logaddexp(p[2] - p[1] * ls, p[3]) - y

        lo = [1e-6, 1e-6, -30.0, -30.0]
        hi = [self.max_alpha, self.max_beta, 30.0, 30.0]
        floor = float(loss.min())
        best = None
        for a, b, bs, cs in _STARTS:
            x0 = np.clip([a, b, np.log(bs * floor), np.log(cs * floor)], np.add(lo, 1e-9), np.subtract(hi, 1e-9))
            res = least_squares(residual, x0, bounds=(lo, hi), method="trf", x_scale="jac")
            if best is None or res.cost < best.cost:
                best = res
        p = best.x
        ss_res = float(np.sum(best.fun**2))
        ss_tot = float(np.sum((y - y.mean()) ** 2))
        return np.array([p[0], p[1], np.exp(p[2]), np.exp(p[3])]), 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0

    def predict(self, proportions, steps) -> np.ndarray:
        """(n, k) losses for (n, k) proportions at (n,) steps (or one mixture (k,) at one step count)."""
        r = np.atleast_2d(np.asarray(proportions, np.float64))
        s = np.broadcast_to(np.asarray(steps, np.float64), (len(r),))[:, None]
        if (r <= 0).any() or (s <= 0).any():
            raise ValueError("proportions and steps must be > 0 (the law diverges at 0)")
        out = self.A_ / r**self.alpha_ * (self.B_ / s**self.beta_ + self.C_)
        return out[0] if np.ndim(proportions) == 1 else out

    def optimal_mixture(self, steps: float, skill_weights=None, lower=None, upper=None) -> np.ndarray:
        """The mixture minimising sum_i w_i L_i(r_i, steps) on the simplex (w default: ones), optionally within
        per-skill bounds lower <= r <= upper (for example the proportions the fit has seen: the law is not
        guaranteed beyond them, and a skill fitted with alpha near 0 would otherwise get almost nothing)."""
        w = np.ones(len(self.alpha_)) if skill_weights is None else np.asarray(skill_weights, np.float64)
        if w.shape != self.alpha_.shape or (w <= 0).any():
            raise ValueError(f"skill_weights must be {len(self.alpha_)} positive numbers")
        return optimum(w * self.A_ * (self.B_ / float(steps) ** self.beta_ + self.C_), self.alpha_, lower, upper)


def optimum(K: np.ndarray, alpha: np.ndarray, lower=None, upper=None, tol: float = 1e-12) -> np.ndarray:
    """argmin over the simplex of sum_i K_i r_i^-alpha_i (K, alpha > 0), within lower <= r <= upper if given:
    the KKT point r_i = clip((alpha_i K_i / lam)^(1 / (1 + alpha_i)), lower_i, upper_i), lam by bisection on
    log lam (the sum is non-increasing in lam, strictly where any r_i is inside its bounds)."""
    K, alpha = np.asarray(K, np.float64), np.asarray(alpha, np.float64)
    if (K <= 0).any() or (alpha <= 0).any():
        raise ValueError("the optimum needs K > 0 and alpha > 0 for every skill")
    lo = np.zeros_like(K) if lower is None else np.asarray(lower, np.float64)
    hi = np.ones_like(K) if upper is None else np.asarray(upper, np.float64)
    if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12 or (lo > hi).any():
        raise ValueError(f"no mixture within the bounds: lower sums to {lo.sum():.4f}, upper to {hi.sum():.4f}")

    def shares(log_lam: float) -> np.ndarray:
        return np.clip(np.exp((np.log(alpha * K) - log_lam) / (1 + alpha)), lo, hi)

    def total(log_lam: float) -> float:
        return float(shares(log_lam).sum())

    a, b = -50.0, 50.0
    while total(a) < 1 and a > -5000:
        a -= 50
    while total(b) > 1 and b < 5000:
        b += 50
    for _ in range(400):
        mid = (a + b) / 2
        if total(mid) > 1:
            a = mid
        else:
            b = mid
        if b - a < tol:
            break
    r = shares((a + b) / 2)
    return r / r.sum()


def _observations(proportions, steps, losses) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = np.asarray(proportions, np.float64)
    s = np.asarray(steps, np.float64)
    loss = np.asarray(losses, np.float64)
    if r.ndim != 2 or loss.shape != r.shape or s.shape != (len(r),):
        raise ValueError(f"need proportions and losses (n, k) and steps (n,), got {r.shape}, {loss.shape}, {s.shape}")
    if (r <= 0).any() or (s <= 0).any() or (loss <= 0).any() or not np.isfinite(loss).all():
        raise ValueError("proportions, steps and losses must be finite and > 0")
    return r, s, loss
