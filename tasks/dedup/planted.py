"""Synthetic documents with planted near-duplicates of known Jaccard similarity. Pure, seeded.

Each base document is `words` random tokens; each copy replaces k random positions with fresh tokens
(k from `edits`), which lowers the word 5-gram Jaccard to the copy's base. Tests and benchmarks compute
the true similarities afterwards (lsh.jaccard over minhash.shingle_sets) and bucket pairs by them.
"""

from __future__ import annotations

import numpy as np

EDITS = (0, 1, 2, 3, 4, 6, 8, 12, 18, 25)  # substitutions per copy: J from 1.0 down to ~0.5 at 200 words


def planted(
    n_base: int, words: int = 200, edits: tuple[int, ...] = EDITS, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    """(texts, base index of each text): base documents first, then their copies, base by base."""
    rng = np.random.default_rng(seed)
    texts, origin = [], []
    bases = rng.integers(0, 50_000, size=(n_base, words))
    for b, base in enumerate(bases):
        texts.append(" ".join(f"w{t}" for t in base))
        origin.append(b)
    for b, base in enumerate(bases):
        for k in edits:
            copy = base.copy()
            copy[rng.choice(words, size=k, replace=False)] = rng.integers(50_000, 10**9, size=k)
            texts.append(" ".join(f"w{t}" for t in copy))
            origin.append(b)
    return texts, np.asarray(origin)
