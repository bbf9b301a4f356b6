"""Lexical vectors: TF-IDF of the whole document, projected by SVD, set beside an embedding."""

import numpy as np

from tasks.skills import lexical


def test_lexical_vectors_separate_two_vocabularies_and_are_unit_times_the_weight():
    rng = np.random.default_rng(1)
    a = [["orbit", "planet", "comet", "telescope", "galaxy", "nebula"], ["flour", "butter", "oven", "dough", "yeast"]]
    texts = [" ".join(rng.choice(a[i % 2], 30)) for i in range(40)]
    model = lexical.fit(texts, dims=8, seed=0)
    z = lexical.transform(texts, model, weight=2.0)
    assert z.shape == (40, 8) and np.allclose(np.linalg.norm(z, axis=1), 2.0, atol=1e-4)
    same, other = z[0] @ z[2], z[0] @ z[1]
    assert same > 3.5 and other < 0.5  # cosine x 4: near 1 within a vocabulary, near 0 across
    assert np.array_equal(z, lexical.transform(texts, lexical.fit(texts, dims=8, seed=0), weight=2.0))
