"""Skill-It skills graph by the linear approximation (../shared/ALGORITHMS.md 1(a)). Pure.

From one base model, a short run on each skill alone; A[i, j] is the relative drop of skill j's validation
loss after training on skill i: (L_j(base) - L_j(after i)) / L_j(base), the normalisation Aioli's
re-implementation uses. Negative entries (training on i made j worse) are kept.
"""

from __future__ import annotations

import numpy as np


def relative_drop(base: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(k, m) graph from the base losses (m,) and the losses after each skill's run (k, m)."""
    base = np.asarray(base, np.float64)
    return (base[None, :] - np.asarray(after, np.float64)) / base[None, :]


def density(a: np.ndarray, tol: float = 0.0) -> float:
    """Share of off-diagonal entries above `tol`: near 1 Skill-It acts like stratified, near 0 like
    loss-proportional sampling (ALGORITHMS.md section 6)."""
    off = ~np.eye(*a.shape, dtype=bool)
    return float((a[off] > tol).mean()) if off.any() else 0.0
