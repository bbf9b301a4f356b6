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
    assert cluster.agreement(labels, [str(t) for t in truth]) == {
        "purity": 1.0,
        "nmi": pytest.approx(1.0),
        "ari": pytest.approx(1.0),
    }
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


def test_semantic_duplicates_point_to_the_first_earlier_match_in_bounded_blocks():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(50, 16))
    x[20] = x[4] + 0.01 * rng.normal(size=16)  # near copies of row 4, later in the order
    x[37] = x[4] + 0.01 * rng.normal(size=16)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    out = cluster.semantic_duplicates(x.astype(np.float32), eps=0.01, max_block=64)  # 1 row per block
    assert out[20] == 4 and out[37] == 4 and (np.delete(out, [20, 37]) == -1).all()
    assert np.array_equal(out, cluster.semantic_duplicates(x.astype(np.float32), eps=0.01))


def test_groups_are_the_sorted_values_and_missing_is_its_own_group():
    ids, names = cluster.groups(["web", "books", "web", None, "code"])
    assert names == ["books", "code", "web", "(missing)"] and ids.tolist() == [2, 0, 2, 3, 1]


def test_terms_found_in_every_skill_are_not_labels():
    texts = ["self return numpy array", "self return licence warranty", "self return orbit planet"]
    labels = cluster.ctfidf_labels(texts, np.array([0, 1, 2]), top_n=5)
    assert all("self" not in terms and "return" not in terms for terms in labels.values())
    assert cluster.ctfidf_labels(["1 2 3", "4 5"], np.array([0, 1])) == {0: [], 1: []}  # no words, no labels


def test_map_is_deterministic_for_a_seed():
    x, _ = blobs(k=3, per=20)
    assert np.array_equal(cluster.project_2d(x, seed=2), cluster.project_2d(x, seed=2))
    assert cluster.project_2d(x, seed=2).shape == (60, 2)


def fine_and_merged(x, m=30, seed=0):
    fine = cluster.assign(x, cluster.fit(x, m, seed))
    sizes = np.bincount(fine, minlength=m)
    means = np.stack([x[fine == i].mean(axis=0) for i in range(m)])
    return fine, sizes, cluster.merge(means, sizes)


def test_fine_clusters_merge_back_into_the_planted_blobs_and_the_tree_is_a_valid_linkage():
    from scipy.cluster.hierarchy import fcluster, is_monotonic, is_valid_linkage

    x, truth = blobs(k=5, per=80)
    fine, _, tree = fine_and_merged(x)
    assert tree.shape == (29, 4) and is_valid_linkage(tree) and is_monotonic(tree)
    assert tree[-1, 3] == 30  # the root holds every fine cluster
    parent = cluster.cut(tree, 30, 5)
    assert sorted(np.unique(parent)) == [0, 1, 2, 3, 4] and parent[0] == 0  # numbered by first fine cluster
    assert cluster.agreement(parent[fine], [str(t) for t in truth])["ari"] == pytest.approx(1.0)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(fcluster(tree, 5, "maxclust"), parent) == pytest.approx(1.0)  # scipy cuts alike


def test_the_merge_weighs_fine_clusters_by_their_documents():
    # three fine clusters on a line at 0, 1 and 2.2: unweighted, 0 and 1 merge first (distance 1 < 1.2);
    # when the one at 0 holds 1,000 documents and the others one each, 1 and 2.2 are cheaper to merge
    c = np.array([[0.0], [1.0], [2.2]])
    assert sorted(cluster.merge(c, np.array([1, 1, 1]))[0, :2]) == [0, 1]
    assert sorted(cluster.merge(c, np.array([1000, 1, 1]))[0, :2]) == [1, 2]


def test_the_merge_gap_finds_the_planted_number_of_groups_not_the_largest_candidate():
    for k_true, seed in ((3, 1), (5, 2), (7, 3)):
        x, _ = blobs(k=k_true, per=60, seed=seed)
        tree = fine_and_merged(x, m=40, seed=seed)[2]
        k, gaps = cluster.choose_k_gap(tree, (2, 4, 8, 16, 24))
        assert k == k_true and max(gaps) == 24 and gaps[k_true] == max(gaps.values())


def test_fine_k_follows_the_corpus_size_within_bounds():
    assert cluster.fine_k(18_321, 16) == 135  # sqrt(n)
    assert cluster.fine_k(100, 16) == 32  # at least twice the largest k
    assert cluster.fine_k(10, 16) == 10  # never more than the documents
    assert cluster.fine_k(10_000_000, 16) == 1000  # CLIMB's fine level at most
