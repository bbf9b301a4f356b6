import numpy as np
import pytest
from datasketch import MinHash
from pydantic import ValidationError

from schemas.config import MinHashParams
from tasks.dedup import minhash

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank today",
    "The quick brown fox jumps over the lazy dog near the river bank yesterday",
    "Ünïcödé wörds, punctuation! and CASE are normalised before shingling",
    "short",
    "",
    "   \n\t ",
]


@pytest.mark.parametrize("hash_", ["sha1", "fast"])
@pytest.mark.parametrize(("shingle", "ngram"), [("word", 5), ("word", 1), ("char", 8)])
def test_signatures_equal_datasketch(hash_, shingle, ngram):
    params = MinHashParams(hash=hash_, shingle=shingle, ngram=ngram, num_perm=64, seed=7)
    ours = minhash.signatures(TEXTS, params, batch_docs=4)  # several batches, one with only empty texts
    fn = minhash.hashfunc(params)
    for text, sig in zip(TEXTS, ours, strict=True):
        m = MinHash(num_perm=64, seed=7, hashfunc=fn)  # default scheme: affine32
        m.update_batch(minhash.shingle_bytes(text, params))
        assert m.scheme == "affine32"
        np.testing.assert_array_equal(sig, m.hashvalues)


def test_sha1_mode_equals_datasketch_defaults_and_bulk():
    params = MinHashParams(hash="sha1", num_perm=32, seed=3)
    bulk = MinHash.bulk([minhash.shingle_bytes(t, params) for t in TEXTS[:3]], num_perm=32, seed=3)
    np.testing.assert_array_equal(minhash.signatures(TEXTS[:3], params), np.stack([m.hashvalues for m in bulk]))


def test_empty_text_has_the_empty_signature():
    sig = minhash.signatures(["", "a b c d e f"], MinHashParams(num_perm=16))
    assert (sig[0] == minhash.EMPTY).all() and not (sig[1] == minhash.EMPTY).all()


@pytest.mark.parametrize("n_changed", [0, 40, 120, 250])
def test_signature_agreement_estimates_jaccard(n_changed):
    params = MinHashParams(num_perm=256, ngram=3)
    words = [f"w{i}" for i in range(400)]
    edited = words[: 400 - n_changed] + [f"x{i}" for i in range(n_changed)]
    a, b = (set(minhash.shingle_bytes(" ".join(w), params)) for w in (words, edited))
    true = len(a & b) / len(a | b)
    s1, s2 = minhash.signatures([" ".join(words), " ".join(edited)], params)
    assert abs(np.mean(s1 == s2) - true) < 0.13  # ~4 sigma at 256 perms: 4 * sqrt(0.25 / 256)


def test_bands_and_rows_are_validated_together():
    with pytest.raises(ValidationError, match="set both bands and rows"):
        MinHashParams(bands=8)
    with pytest.raises(ValidationError, match="exceeds num_perm"):
        MinHashParams(bands=20, rows=8, num_perm=128)


def test_words_split_at_ascii_punctuation_and_keep_unicode_letters():
    params = MinHashParams(ngram=1)
    assert minhash.shingle_bytes("Hello, World! Café_au-lait\t2x", params) == [
        b"hello", b"world", "café_au".encode(), b"lait", b"2x",
    ]  # fmt: skip
    assert minhash.shingle_bytes("a b", MinHashParams(ngram=5)) == [b"a b"]  # shorter than n: one shingle
