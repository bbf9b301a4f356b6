"""Per-skill token statistics: unigram and bigram counts within sequences, and the entropies BiMix uses."""

import numpy as np
import pytest

from tasks.tokens import stats


def test_counts_keep_bigrams_inside_sequences():
    uni, bi, counts = stats.count([np.array([1, 2, 3, 0]), np.array([1, 2, 0])], vocab_size=5, seq_len=4)
    assert uni.tolist() == [2, 2, 2, 1, 0]
    pairs = {(int(c) // 5, int(c) % 5): int(n) for c, n in zip(bi, counts, strict=True)}
    assert pairs == {(1, 2): 2, (2, 3): 1, (3, 0): 1, (2, 0): 1}  # (0, 1) crosses the boundary at token 4
    merged = stats.merge([(uni, bi, counts), (uni, bi, counts)])
    assert merged[0].tolist() == (2 * uni).tolist() and merged[2].sum() == 2 * counts.sum()


def test_entropies_of_known_distributions():
    uni = np.array([1, 1, 1, 1])
    codes = np.array([0 * 4 + 1, 1 * 4 + 0], np.uint64)  # 0 -> 1 and 1 -> 0: the next token is certain
    h = stats.entropies(uni, codes, np.array([5, 5]), 4)
    assert h["shannon"] == pytest.approx(np.log(4)) and h["joint"] == pytest.approx(np.log(2))
    assert h["conditional"] == pytest.approx(0.0)
    assert stats.von_neumann(np.eye(8)) == pytest.approx(np.log(8))  # orthogonal: maximal
    assert stats.von_neumann(np.tile([[0.6, 0.8]], (5, 1))) == pytest.approx(0.0)  # identical: none
