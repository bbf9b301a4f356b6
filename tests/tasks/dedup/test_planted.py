"""The planted near-duplicate generator: bases first, then their copies, each `k` substitutions from its base."""

import numpy as np

from tasks.dedup import planted


def test_copies_follow_their_bases_with_the_planted_number_of_substitutions():
    texts, origin = planted.planted(n_base=3, words=50, edits=(0, 4, 10), seed=1)
    assert len(texts) == 3 + 3 * 3 and origin.tolist() == [0, 1, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    for i in range(3, len(texts)):
        base, copy = texts[origin[i]].split(), texts[i].split()
        assert len(copy) == 50 and sum(a != b for a, b in zip(base, copy, strict=True)) == (0, 4, 10)[(i - 3) % 3]
    again, _ = planted.planted(n_base=3, words=50, edits=(0, 4, 10), seed=1)
    assert again == texts and planted.planted(n_base=3, words=50, edits=(0, 4, 10), seed=2)[0] != texts
    assert np.unique(origin).tolist() == [0, 1, 2]
