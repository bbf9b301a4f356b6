"""Documents into k skills: k-means on a sample, every document assigned; or fine clusters merged by
size-weighted Ward with k at the largest gap in merge heights; k by silhouette for flat k-means; c-TF-IDF labels.

Pure: arrays and strings in, arrays and dicts out (scikit-learn). Scaling past memory: the centroids
are fit on a uniform sample (at most `max_fit` vectors, chosen by the seed) and every document is then
assigned to its nearest centroid chunk by chunk, so no step holds more than the sample plus one chunk.
k, when not given, is the candidate with the highest silhouette score (euclidean on the L2-normalised
embeddings, so cosine-equivalent) on a sample of at most 10,000 vectors. Labels are each skill's most
distinctive terms by class-based TF-IDF (BERTopic: tf of the term in the skill, times
log(1 + mean words per skill / the term's frequency over all skills)).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import (
    adjusted_rand_score,
    normalized_mutual_info_score,
    pairwise_distances_argmin,
    silhouette_score,
)

K_CANDIDATES = (4, 6, 8, 12, 16, 24, 32)


def sample(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a uniform sample of min(n, size) rows, fixed by the seed."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def fit(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    """(k, dim) float32 centroids of `x` (already a sample); deterministic for the seed."""
    if len(x) < k:
        raise ValueError(f"cannot make {k} skills from {len(x)} documents; lower k")
    if len(x) > 50_000:  # mini-batch keeps a large sample fast; same seed, same centroids
        model = MiniBatchKMeans(n_clusters=k, random_state=seed, batch_size=4096, n_init=3)
    else:
        model = KMeans(n_clusters=k, random_state=seed, n_init=4)
    return model.fit(x).cluster_centers_.astype(np.float32)


def assign(x: np.ndarray, centroids: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """(len(x),) int32: each row's nearest centroid, computed chunk by chunk."""
    out = np.empty(len(x), np.int32)
    for lo in range(0, len(x), chunk):
        out[lo : lo + chunk] = pairwise_distances_argmin(x[lo : lo + chunk], centroids)
    return out


def choose_k(x: np.ndarray, seed: int, candidates: tuple[int, ...] = K_CANDIDATES) -> tuple[int, dict[int, float]]:
    """(best k, silhouette per candidate) on at most 10,000 of the rows."""
    xs = x[sample(len(x), 10_000, seed)]
    scores = {}
    for k in candidates:
        if k < len(xs):
            labels = assign(xs, fit(xs, k, seed))
            scores[k] = float(silhouette_score(xs, labels)) if len(set(labels.tolist())) > 1 else -1.0
    if not scores:
        raise ValueError(f"{len(xs)} documents are too few for any of k = {candidates}")
    return max(scores, key=scores.__getitem__), scores


def fine_k(n: int, top: int) -> int:
    """Fine clusters for n documents: sqrt(n), at least twice the largest skill count tried, at most 1,000
    (CLIMB's fine level), never more than n."""
    return int(min(n, max(2 * top, min(1000, round(np.sqrt(n))))))


def merge(centroids: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Size-weighted Ward merge of fine clusters: a scipy linkage matrix (m - 1, 4) over the m fine clusters.

    Each step merges the pair with the least increase in within-cluster sum of squares,
    n_a n_b / (n_a + n_b) |c_a - c_b|^2, where c is the size-weighted mean of the merged fine centroids;
    the height is sqrt(2 * increase), as scipy's Ward reports it, and never decreases (Ward is reducible).
    scipy's own Ward treats every row as one point, so it cannot weigh a fine cluster by its documents."""
    m = len(centroids)
    if m < 2:
        return np.empty((0, 4))
    c = centroids.astype(np.float64).copy()
    n = np.maximum(sizes.astype(np.float64), 1e-9)
    ids = np.arange(m)  # linkage id of each active slot
    leaves = np.ones(m, np.int64)  # fine clusters under each active slot (the linkage's 4th column)
    active = np.ones(m, bool)
    sq = (c * c).sum(1)
    weight = n[:, None] * n[None, :] / (n[:, None] + n[None, :])
    cost = np.maximum(sq[:, None] + sq[None, :] - 2 * c @ c.T, 0) * weight
    np.fill_diagonal(cost, np.inf)
    tree = np.empty((m - 1, 4))
    for step in range(m - 1):
        a, b = np.unravel_index(np.argmin(cost), cost.shape)
        a, b = min(a, b), max(a, b)
        tree[step] = (min(ids[a], ids[b]), max(ids[a], ids[b]), np.sqrt(2 * cost[a, b]), leaves[a] + leaves[b])
        c[a] = (n[a] * c[a] + n[b] * c[b]) / (n[a] + n[b])
        n[a] += n[b]
        leaves[a] += leaves[b]
        ids[a], active[b] = m + step, False
        cost[b, :] = cost[:, b] = np.inf
        d = np.maximum(((c - c[a]) ** 2).sum(1), 0) * (n * n[a] / (n + n[a]))
        d[~active] = np.inf
        d[a] = np.inf
        cost[a, :] = cost[:, a] = d
    return tree


def cut(tree: np.ndarray, m: int, k: int) -> np.ndarray:
    """(m,) int32: each fine cluster's skill when the merge tree is cut into k groups; skills numbered by
    their smallest fine cluster, so the numbering is stable."""
    parent = np.arange(2 * m - 1)
    for step in range(m - k):  # apply the first m - k merges
        a, b = int(tree[step, 0]), int(tree[step, 1])
        parent[a] = parent[b] = m + step
    root = np.arange(m)
    for i in range(m):
        r = i
        while parent[r] != r:
            r = parent[r]
        root[i] = r
    _, first = np.unique(root, return_index=True)
    order = {r: j for j, r in enumerate(root[np.sort(first)])}
    return np.fromiter((order[r] for r in root), np.int32, m)


def choose_k_gap(tree: np.ndarray, candidates: tuple[int, ...]) -> tuple[int, dict[int, float]]:
    """(k, gap per k): every k from the smallest to the largest candidate is scored by how much higher the
    next merge (k -> k - 1 groups) is than the one that made k groups; the largest gap wins. Unlike a
    silhouette that keeps rising with k, a gap is as likely at few groups as at many."""
    m = len(tree) + 1
    h = tree[:, 2]
    scores = {}
    for k in range(max(2, min(candidates)), min(max(candidates), m - 1) + 1):
        below, above = h[m - k - 1], h[m - k]  # merge that made k groups, merge to k - 1 groups
        scores[k] = float(above / max(below, 1e-12))
    if not scores:
        raise ValueError(f"{m} fine clusters are too few to choose among k = {candidates}")
    return max(scores, key=scores.__getitem__), scores


def ctfidf_labels(texts: list[str], skills: np.ndarray, top_n: int = 5) -> dict[int, list[str]]:
    """Each skill's `top_n` most distinctive terms (alphabetic words of 3+ letters, English stop words out)."""
    ids = sorted(set(skills.tolist()))
    joined = [" ".join(t for t, s in zip(texts, skills, strict=True) if s == i) for i in ids]
    # with 3+ skills, a term found in every skill distinguishes none of them
    max_df = 1.0 - 0.5 / len(ids) if len(ids) >= 3 else 1.0
    try:
        vec = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z]{3,}\b", max_features=50_000,
                              max_df=max_df)  # fmt: skip
        counts = vec.fit_transform(joined).astype(np.float64)  # (skills, terms)
    except ValueError:  # no words at all (or none left): no labels rather than no skills
        return {i: [] for i in ids}
    tf = counts.multiply(1.0 / np.maximum(counts.sum(axis=1), 1)).tocsr()
    idf = np.log(1.0 + counts.sum() / len(ids) / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1))
    scores = tf.multiply(idf).toarray()
    terms = vec.get_feature_names_out()
    return {
        i: [str(terms[j]) for j in np.argsort(-row)[:top_n] if row[j] > 0] for i, row in zip(ids, scores, strict=True)
    }


def agreement(skills: np.ndarray, truth: list[str]) -> dict[str, float]:
    """Purity and normalised mutual information of skills against a known label (e.g. the source domain)."""
    pairs = np.array([f"{s}\x00{t}" for s, t in zip(skills, truth, strict=True)])
    _, counts = np.unique(pairs, return_counts=True)
    majority = {}
    for key, c in zip(np.unique(pairs), counts, strict=True):
        s = key.split("\x00")[0]
        majority[s] = max(majority.get(s, 0), int(c))
    return {"purity": sum(majority.values()) / len(truth), "nmi": float(normalized_mutual_info_score(truth, skills)),
            "ari": float(adjusted_rand_score(truth, skills))}  # fmt: skip


def semantic_duplicates(x: np.ndarray, eps: float, max_block: int = 1 << 24) -> np.ndarray:
    """SemDeDup within one skill: (n,) int64, for each row the first earlier row at cosine >= 1 - eps, else -1.

    `x` holds L2-normalised rows in the order that decides who is kept (earlier rows win). Similarities are
    computed in row blocks of at most `max_block` entries, so memory stays bounded for large skills."""
    n = len(x)
    out = np.full(n, -1, np.int64)
    step = max(1, min(n, max_block // max(n, 1)))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        sims = x[lo:hi] @ x[:hi].T  # (rows, earlier and own)
        earlier = np.arange(hi)[None, :] < np.arange(lo, hi)[:, None]
        hit = (sims >= 1.0 - eps) & earlier
        found = hit.any(axis=1)
        out[lo:hi][found] = hit[found].argmax(axis=1)
    return out


def project_2d(x: np.ndarray, seed: int) -> np.ndarray:
    """(n, 2) map of the rows for plotting: PCA to 50 dimensions, then t-SNE (deterministic for the seed)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if len(x) < 5:
        return np.zeros((len(x), 2))
    z = PCA(min(50, *x.shape), random_state=seed).fit_transform(x)
    return TSNE(2, init="pca", random_state=seed, perplexity=min(30.0, (len(x) - 1) / 3)).fit_transform(z)


def groups(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """A metadata field's values as skills: (ids (n,) int32, names); ids follow the sorted distinct values."""
    names = sorted({v for v in values if v is not None})
    index = {v: i for i, v in enumerate(names)}
    if any(v is None for v in values):
        index[None] = len(names)
        names.append("(missing)")
    return np.fromiter((index[v] for v in values), np.int32, len(values)), names
