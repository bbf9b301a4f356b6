import numpy as np

from tasks.dedup import exact


def test_identical_texts_share_the_earliest_representative():
    texts = ["b", "a", "b", "c", "a", "b"]
    pos = np.array([10, 11, 12, 13, 14, 15])
    assert exact.representatives(exact.digests(texts), pos).tolist() == [10, 11, 10, 13, 11, 10]


def test_positions_need_not_be_sorted_or_contiguous():
    texts = ["x", "y", "x"]
    pos = np.array([7, 3, 5])  # the third text comes earlier in input order than the first
    assert exact.representatives(exact.digests(texts), pos).tolist() == [5, 3, 5]
