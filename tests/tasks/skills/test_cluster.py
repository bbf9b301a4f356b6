import numpy as np
import pytest

from tasks.skills import cluster


def blobs(k=5, per=120, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim))
    x = np.concatenate([c + 0.15 * rng.normal(size=(per, dim)) for c in centers]).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(k), per)


def test_planted_clusters_are_recovered_deterministically():
    x, truth = blobs()
    idx = cluster.sample(len(x), 300, seed=1)
    labels = cluster.assign(x, cluster.fit(x[idx], 5, seed=1), chunk=97)
    assert cluster.agreement(labels, [str(t) for t in truth]) == {"purity": 1.0, "nmi": pytest.approx(1.0)}
    again = cluster.assign(x, cluster.fit(x[cluster.sample(len(x), 300, seed=1)], 5, seed=1))
    assert np.array_equal(labels, again)


def test_k_is_chosen_by_silhouette():
    x, _ = blobs(k=6)
    k, scores = cluster.choose_k(x, seed=0, candidates=(3, 4, 6, 8, 12))
    assert k == 6 and scores[6] == max(scores.values())


def test_too_few_documents_for_k_is_named():
    with pytest.raises(ValueError, match="cannot make 8 skills from 3 documents"):
        cluster.fit(np.zeros((3, 4), np.float32), 8, seed=0)


def test_ctfidf_labels_pick_each_skills_distinctive_terms():
    texts = ["import numpy array matrix", "numpy array reshape matrix", "licence warranty permission granted",
             "warranty licence copyright permission", "the array and the licence"]  # fmt: skip
    labels = cluster.ctfidf_labels(texts, np.array([0, 0, 1, 1, 0]), top_n=3)
    assert set(labels[0]) <= {"numpy", "array", "matrix", "reshape", "import"} and "array" in labels[0]
    assert set(labels[1]) <= {"warranty", "licence", "permission", "granted", "copyright"} and "warranty" in labels[1]


def test_purity_and_nmi_of_a_partial_match():
    out = cluster.agreement(np.array([0, 0, 0, 1, 1, 1]), ["a", "a", "b", "b", "b", "b"])
    assert out["purity"] == pytest.approx(5 / 6) and 0 < out["nmi"] < 1
