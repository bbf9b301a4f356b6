"""Online mixing update rules (Skill-It, Aioli), pure functions the training loop calls between rounds.

Spec: ../shared/ALGORITHMS.md sections 0-2. Every rule is an exponentiated-gradient (mirror-descent)
step on the linear dynamic law L_i(t+1) = L_i(t) - sum_j A_ij p_j; the methods differ in how A is set.
Arrays in, arrays out; weights are probability vectors over skills.
"""

from __future__ import annotations

import numpy as np


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


# --- Skill-It (section 1) ---------------------------------------------------------------------------


def skillit_graph(a: np.ndarray) -> np.ndarray:
    """The graph as Skill-It's trainer uses it: off-diagonal entries exactly 1 become 0.5 (diagonal kept)."""
    g = np.array(a, np.float64, copy=True)
    off = ~np.eye(*g.shape, dtype=bool)
    g[off & (g == 1.0)] = 0.5
    return g


def skillit_initial(a: np.ndarray, eta: float) -> np.ndarray:
    """p_1 = softmax(eta * row sums of A): A is (train skills k, eval skills m)."""
    return _softmax(eta * np.asarray(a, np.float64).sum(axis=1))


def skillit_update(a: np.ndarray, window: np.ndarray, eta: float, fine_tuning: bool = False) -> np.ndarray:
    """p = softmax(eta * A @ agg), agg the window of recent per-eval-skill losses (w, m) summed (pre-training,
    out-of-domain) or averaged (fine-tuning). Not multiplied by the previous p (the rule restarts each round)."""
    window = np.atleast_2d(np.asarray(window, np.float64))
    agg = window.mean(axis=0) if fine_tuning else window.sum(axis=0)
    return _softmax(eta * np.asarray(a, np.float64) @ agg)


# --- Aioli (section 2) ------------------------------------------------------------------------------


def aioli_probes(m: int, one_hot_factor: float) -> np.ndarray:
    """(m, m) rows p_j: weight `one_hot_factor` on group j, the rest spread evenly (smoothed one-hot)."""
    if m == 1:
        return np.ones((1, 1))
    p = np.full((m, m), (1.0 - one_hot_factor) / (m - 1))
    np.fill_diagonal(p, one_hot_factor)
    return p


def aioli_estimate(beta: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """A from the loss drops beta[i, j] (group i's drop while training on probe j): beta = A @ P^T."""
    return np.linalg.solve(np.asarray(probes, np.float64), np.asarray(beta, np.float64).T).T


def aioli_normalize(a: np.ndarray) -> np.ndarray:
    """Shift so the minimum is 0 when any entry is negative, then divide by the sum of all entries."""
    a = np.asarray(a, np.float64)
    if a.min() < 0:
        a = a - a.min()
    total = a.sum()
    return a / total if total > 0 else np.full_like(a, 1.0 / a.size)


def aioli_update(p_prev: np.ndarray, a_bar: np.ndarray, eta: float, gamma: float | None = None,
                 a_ema: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(new weights, A carried to the next round). Without EMA: p ~ p_prev * exp(eta * colsum(A));
    with EMA gamma: A_ema = (1 - gamma) A + gamma A_ema_prev and p ~ exp(eta * colsum(A_ema)) (non-cumulative,
    as Aioli's scripts run it)."""
    a_bar = np.asarray(a_bar, np.float64)
    if gamma is None:
        p = np.asarray(p_prev, np.float64) * np.exp(eta * a_bar.sum(axis=0))
        return p / p.sum(), a_bar
    ema = a_bar if a_ema is None else (1.0 - gamma) * a_bar + gamma * np.asarray(a_ema, np.float64)
    return _softmax(eta * ema.sum(axis=0)), ema
