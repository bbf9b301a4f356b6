"""Documents into k skills: k-means on a sample, every document assigned; k by silhouette; c-TF-IDF labels.

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
from sklearn.metrics import normalized_mutual_info_score, pairwise_distances_argmin, silhouette_score

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
    return {"purity": sum(majority.values()) / len(truth), "nmi": float(normalized_mutual_info_score(truth, skills))}


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
