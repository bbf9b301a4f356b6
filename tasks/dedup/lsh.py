"""LSH banding, candidate pairs, exact-Jaccard verification and duplicate clusters. Pure: numpy/scipy.

Banding: a signature of num_perm values is cut into `bands` bands of `rows` values; two documents are
candidates when any band matches: P(candidate | J) = 1 - (1 - J^rows)^bands. Unless set explicitly,
(bands, rows) is datasketch's optimum for the threshold (`datasketch.lsh._optimal_param`) with the
false-negative weight at 0.9 and false-positive weight at 0.1: recall matters more than precision here
because candidates are verified against exact shingle Jaccard afterwards. At threshold 0.8 and 128
permutations that is 14 x 9, P(candidate) = 0.027 / 0.438 / 0.867 / 0.975 / 0.999 at J = 0.5 / 0.7 /
0.8 / 0.85 / 0.9 (DataTrove uses 14 x 8, REFERENCE.md 1.2).
Candidate pairs are stars: each bucket's first document (smallest index) paired with every other member,
as NeMo Curator's anchor check does. Not paths (NeMo's buckets-to-edges): with verification, a path
breaks at a copy-to-copy edge below the threshold and loses copies that do match the first document
(measured on planted data: recall at J in [0.8, 0.85) 0.39 with paths, 0.91 with stars).
Clusters are connected components; each is labelled by, and keeps, its smallest document index, i.e.
the earliest document in input order: deterministic, and an older corpus's documents win over a new one's.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from schemas.config import MinHashParams

FP_WEIGHT, FN_WEIGHT = 0.1, 0.9
S_CURVE_AT = (0.5, 0.7, 0.8, 0.85, 0.9)
_OFFSET, _PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)  # FNV-1a 64


def band_rows(params: MinHashParams) -> tuple[int, int]:
    """(bands, rows): as set, or datasketch's recall-weighted optimum for params.threshold."""
    if params.bands is not None:
        return params.bands, params.rows
    from datasketch.lsh import _optimal_param

    return _optimal_param(params.threshold, params.num_perm, FP_WEIGHT, FN_WEIGHT)


def s_curve(bands: int, rows: int) -> dict[str, float]:
    """P(candidate | J) at the similarities users ask about, for logs and summary.json."""
    return {f"{j}": round(float(1 - (1 - j**rows) ** bands), 4) for j in S_CURVE_AT}


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(docs, bands) uint64: a 64-bit FNV-1a hash of each band's `rows` values (collisions ~2^-64)."""
    x = signatures[:, : bands * rows].reshape(len(signatures), bands, rows).astype(np.uint64)
    h = np.full(x.shape[:2], _OFFSET, np.uint64)
    for k in range(rows):
        h = (h ^ x[:, :, k]) * _PRIME
    return h


def candidate_pairs(keys: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
    """(pairs, 2) int64, i < j, unique: each bucket's first document paired with each other member.

    `keys` is (docs, bands) from band_keys; `index` gives each row's document index (default 0..n-1).
    """
    index = np.arange(len(keys), dtype=np.int64) if index is None else np.asarray(index, np.int64)
    edges = []
    for band in range(keys.shape[1]):
        order = np.lexsort((index, keys[:, band]))
        k, idx = keys[order, band], index[order]
        starts = np.concatenate([[True], k[1:] != k[:-1]])  # first row of each bucket
        first = idx[np.maximum.accumulate(np.where(starts, np.arange(len(idx)), 0))]
        edges.append(np.stack([first[~starts], idx[~starts]], axis=1))
    pairs = np.concatenate(edges) if edges else np.empty((0, 2), np.int64)
    return np.unique(np.sort(pairs, axis=1), axis=0) if len(pairs) else pairs.reshape(0, 2)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sets of shingle hashes (unique arrays)."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def verify(pairs: np.ndarray, shingle_sets: list[np.ndarray], threshold: float) -> np.ndarray:
    """Mask of the pairs whose exact shingle Jaccard reaches `threshold` (drops LSH false positives)."""
    return np.fromiter((jaccard(shingle_sets[i], shingle_sets[j]) >= threshold for i, j in pairs), bool, len(pairs))


def clusters(n: int, pairs: np.ndarray) -> np.ndarray:
    """(n,) int64: each document's cluster label, the smallest document index in its component."""
    if len(pairs) == 0:
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    smallest = np.full(comp.max() + 1, n, np.int64)
    np.minimum.at(smallest, comp, np.arange(n, dtype=np.int64))
    return smallest[comp]
