"""Token statistics per skill for the entropy mixtures (BiMix, ../shared/ALGORITHMS.md section 4). Pure.

A skill's documents (EOS appended) are concatenated in input order and cut into sequences of
`seq_len` tokens; unigrams are counted over all tokens and bigrams over consecutive tokens inside a
sequence. Counts are made per documents partition and summed, so sequences restart at each partition
(a difference of at most one bigram per partition and skill). Entropies use the natural log.
"""

from __future__ import annotations

import numpy as np


def count(ids: list[np.ndarray], vocab_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unigram counts (vocab,), bigram codes (u,) uint64 = first * vocab + second, their counts (u,))."""
    if not ids:
        return np.zeros(vocab_size, np.int64), np.empty(0, np.uint64), np.empty(0, np.int64)
    stream = np.concatenate(ids).astype(np.uint64)
    uni = np.bincount(stream.astype(np.int64), minlength=vocab_size).astype(np.int64)
    pos = np.arange(len(stream) - 1)
    inside = (pos + 1) % seq_len != 0  # pairs (t, t+1) within one sequence
    codes = stream[:-1][inside] * np.uint64(vocab_size) + stream[1:][inside]
    bi, counts = np.unique(codes, return_counts=True)
    return uni, bi, counts.astype(np.int64)


def merge(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sum of several `count` results."""
    uni = np.sum([p[0] for p in parts], axis=0)
    codes = np.concatenate([p[1] for p in parts])
    counts = np.concatenate([p[2] for p in parts])
    bi, inverse = np.unique(codes, return_inverse=True)
    return uni, bi, np.bincount(inverse, weights=counts, minlength=len(bi)).astype(np.int64)


def _h(counts: np.ndarray) -> float:
    c = counts[counts > 0].astype(np.float64)
    p = c / c.sum()
    return float(-(p * np.log(p)).sum()) if len(p) else 0.0


def entropies(uni: np.ndarray, bi: np.ndarray, bi_counts: np.ndarray, vocab_size: int) -> dict[str, float]:
    """Shannon (unigram), joint (bigram) and conditional H(X_t+1 | X_t) = joint - H(X_t) entropies, in nats."""
    joint = _h(bi_counts)
    first = np.bincount((bi // np.uint64(vocab_size)).astype(np.int64), weights=bi_counts, minlength=vocab_size)
    return {"shannon": _h(uni), "joint": joint, "conditional": joint - _h(first)}


def von_neumann(x: np.ndarray) -> float:
    """von Neumann entropy -sum(l log l) of rho = K / N, K the cosine kernel of the L2-normalised rows of x."""
    if len(x) == 0:
        return 0.0
    # K = X X^T has the same non-zero eigenvalues as X^T X (dim x dim): cheap for N >> dim
    x = x.astype(np.float64)
    gram = x.T @ x if len(x) > x.shape[1] else x @ x.T
    lam = np.clip(np.linalg.eigvalsh(gram) / len(x), 0, None)
    lam = lam[lam > 1e-12]
    return max(0.0, float(-(lam * np.log(lam)).sum()))
