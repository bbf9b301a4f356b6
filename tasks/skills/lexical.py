"""Lexical topic vectors (latent semantic analysis) to set beside a document's embedding.

Pure: texts in, arrays out (scikit-learn). A transformer embedding sees a window of word pieces; the words
of the whole document (its first `MAX_CHARS` characters) often say more about what kind of document it is:
NAME/SYNOPSIS, `compatible:`, `Signed-off-by`, verse numbers. Words are hashed (no vocabulary to hold),
weighted by sublinear TF-IDF, and projected by a truncated SVD fitted on a sample; rows are L2-normalised
so that, appended with a weight w to a unit embedding, the lexical part counts w relative to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

MAX_CHARS = 20_000
DIMS = 64
_HASHER = HashingVectorizer(n_features=2**18, alternate_sign=False, norm=None, token_pattern=r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class Lexical:
    """A fitted projection: IDF weights and SVD directions."""

    tfidf: TfidfTransformer
    svd: TruncatedSVD


def fit(texts: list[str], dims: int = DIMS, seed: int = 0) -> Lexical:
    """Fit TF-IDF and an SVD of `dims` directions (fewer if the texts have fewer words) on `texts`."""
    counts = _HASHER.transform([t[:MAX_CHARS] for t in texts])
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    dims = max(1, min(dims, counts.shape[0] - 1, counts.getnnz(axis=0).astype(bool).sum() - 1))
    return Lexical(tfidf, TruncatedSVD(dims, random_state=seed).fit(tfidf.transform(counts)))


def transform(texts: list[str], model: Lexical, weight: float = 1.0) -> np.ndarray:
    """(len(texts), dims) float32: each text's L2-normalised lexical vector times `weight` (zeros: no words)."""
    z = model.svd.transform(model.tfidf.transform(_HASHER.transform([t[:MAX_CHARS] for t in texts])))
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return (z * weight).astype(np.float32)
