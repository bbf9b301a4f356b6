"""Swarm designs: which mixtures the proxies train on (ALGORITHMS-2.md 1.1a, 1.4b). Pure.

`swarm` is RegMix's sampler (Olmix's, flat): Dirichlet draws around a tempered prior at 15 strengths log-spaced in
[0.1, 5] (small: sparse, extreme mixtures; large: near the prior), shares under `min_share` zeroed, rows renormalised
and rounded, draws over a domain's repetition cap rejected, near-duplicates dropped. `near_best` is CLIMB's later
round: many candidates from the same sampler, the law's top max(n^2, 128) by predicted objective, n of them drawn
uniformly, so the next round explores the region the law expects to be best rather than a single point.
"""

from __future__ import annotations

import numpy as np

STRENGTHS = np.exp(np.linspace(np.log(0.1), np.log(5.0), 15))


def candidates(prior, cap, count: int, rng: np.random.Generator, temperature: float = 0.5,
               min_share: float = 2e-3, decimals: int = 4) -> np.ndarray:  # fmt: skip
    """Up to `count` distinct feasible mixtures (rows) from RegMix's sampler (fewer if the caps reject many)."""
    q = np.asarray(prior, np.float64)
    q = q / q.sum()
    cap = np.ones_like(q) if cap is None else np.asarray(cap, np.float64)
    qt = q**temperature
    qt = qt / qt.sum()
    out, seen = [], set()
    for _ in range(100):
        s = rng.choice(STRENGTHS, size=count * 4)[:, None]
        D = rng.gamma(np.maximum(s * qt, 1e-6))
        ok = D.sum(axis=1) > 0
        D = D[ok] / D[ok].sum(axis=1, keepdims=True)
        D[min_share > D] = 0.0
        D = D[D.sum(axis=1) > 0]
        D = np.round(D / D.sum(axis=1, keepdims=True), decimals)
        D = D / D.sum(axis=1, keepdims=True)
        for row in D[(cap + 1e-9 >= D).all(axis=1)]:
            key = tuple(np.round(row, decimals))
            if key not in seen:
                seen.add(key)
                out.append(row)
                if len(out) == count:
                    return np.array(out)
    if not out:
        raise ValueError("the repetition caps reject every sampled mixture; raise --max-repeat or the budget")
    return np.array(out)


def swarm(prior, cap, n: int, seed: int, **kw) -> np.ndarray:
    """n distinct mixtures from RegMix's sampler (refused if the caps leave fewer)."""
    X = candidates(prior, cap, n, np.random.default_rng(seed), **kw)
    if len(X) < n:
        raise ValueError(f"only {len(X)} distinct mixtures fit the repetition caps; ask for fewer runs")
    return X


def near_best(f, prior, cap, n: int, seed: int, pool: int = 20000, exclude=None, **kw) -> np.ndarray:
    """CLIMB's next round: n mixtures drawn uniformly from the top max(n^2, 128) of `pool` candidates by f(X) (lower
    is better), none of them already in `exclude`."""
    rng = np.random.default_rng(seed)
    X = candidates(prior, cap, pool, rng, **kw)
    if exclude is not None and len(exclude):
        old = {tuple(np.round(r, 4)) for r in np.asarray(exclude)}
        X = X[[tuple(np.round(r, 4)) not in old for r in X]]
    top = np.argsort(f(X), kind="stable")[: max(n * n, 128)]
    if len(top) < n:
        raise ValueError(f"only {len(top)} new candidate mixtures; ask for fewer runs per round")
    return X[np.sort(rng.choice(top, size=n, replace=False))]
