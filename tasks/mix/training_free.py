"""Training-free mixtures over skills (../shared/ALGORITHMS.md section 4). Pure: statistics in, weights out.

natural       proportional to the skill's tokens
stratified    uniform over skills
temperature   proportional to tokens ** (1 / tau): tau = 1 is natural, large tau tends to stratified
entropy-*     BiMix's entropy proxies (eq. 13): softmax over skills of the skill's entropy in nats,
              r_i = exp(H_i) / sum_j exp(H_j); higher-entropy ("harder") skills get more weight
"""

from __future__ import annotations

import numpy as np


def natural(tokens: np.ndarray) -> np.ndarray:
    t = np.asarray(tokens, np.float64)
    if t.sum() <= 0:
        raise ValueError("no tokens in any skill")
    return t / t.sum()


def stratified(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def temperature(tokens: np.ndarray, tau: float) -> np.ndarray:
    if tau <= 0:
        raise ValueError(f"temperature must be > 0, got {tau}")
    return natural(np.asarray(tokens, np.float64) ** (1.0 / tau))


def entropy(h: np.ndarray) -> np.ndarray:
    """softmax(h), computed stably."""
    h = np.asarray(h, np.float64)
    e = np.exp(h - h.max())
    return e / e.sum()


def prune(w: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(weights with the skills scoring below `threshold` at 0 and the rest renormalised, which were pruned):
    CLIMB's pruning of low-quality clusters. Raises ValueError if every skill scores below it."""
    low = scores < threshold
    if low.all():
        raise ValueError(f"every skill's mean quality score is below {threshold} (the best is {scores.max():.3f}); "
                         "lower it")  # fmt: skip
    kept = np.where(low, 0.0, w)
    return kept / kept.sum(), low
