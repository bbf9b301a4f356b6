"""MinHash signatures equal to datasketch 2.0's (scheme "affine32"), computed for many documents at once.

Pure: texts in, numpy arrays out. datasketch's affine32 MinHash of a shingle set S is, per permutation k,
    min over s in S of  a_k * fmix32(hashfunc(s)) + b_k   (mod 2^32)
with (a, b) drawn from np.random.RandomState(seed) (a odd) and fmix32 the MurmurHash3 finalizer
(datasketch/minhash.py). This module computes exactly that, vectorised over every shingle of a batch.

hashfunc, per MinHashParams.hash:
  "sha1"  datasketch's default sha1_hash32 of the shingle's UTF-8 bytes: signatures interoperate with
          any datasketch index built with default settings; one SHA-1 per shingle (slow).
  "fast"  word mode: each distinct word hashed once (blake2b-32, cached), n-grams combined with
          fmix32 arithmetic in numpy; char mode: the same combine over code points. `hashfunc(params)`
          gives the equivalent per-shingle function, so datasketch(hashfunc=...) gives equal signatures.
Shingle bytes (what hashfunc sees): word mode b" ".join(words); char mode the n chars' UTF-8.
Words: the lowercased text's UTF-8 split at ASCII whitespace and ASCII punctuation other than "_"
(non-ASCII letters stay inside words); char shingles come from the lowercased text with whitespace
runs collapsed to one space.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable

import numpy as np

from schemas.config import MinHashParams

_SEPARATORS = bytes(range(33, 127)).translate(None, b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_TO_SPACE = bytes.maketrans(_SEPARATORS, b" " * len(_SEPARATORS))  # ASCII punctuation -> space
_SPACES = re.compile(r"\s+")
_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_COMBINE = np.uint32(0x9E3779B1)  # golden-ratio multiplier for n-gram chaining
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for a set with no shingles


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3 finalizer on uint32 (wrapping arithmetic), as datasketch's _fmix(hv, 32)."""
    h = h ^ (h >> np.uint32(16))
    h = h * _M1
    h = h ^ (h >> np.uint32(13))
    h = h * _M2
    return h ^ (h >> np.uint32(16))


def permutations(params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), each (num_perm,) uint32, exactly as datasketch.MinHash(num_perm, seed)._init_permutations."""
    gen = np.random.RandomState(params.seed)
    a = gen.randint(0, 1 << 31, params.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, params.num_perm, dtype=np.uint32)
    return a, b


def _tokens(text: str, params: MinHashParams) -> list[bytes] | list[str]:
    """Words as bytes (word mode) or characters (char mode); see the module docstring."""
    if params.shingle == "word":
        return text.lower().encode().translate(_TO_SPACE).split()
    return list(_SPACES.sub(" ", text.lower()).strip())


def shingle_bytes(text: str, params: MinHashParams) -> list[bytes]:
    """The shingles of `text` as the bytes datasketch's update() would receive (documents shorter than
    n give one shingle of all their tokens; no tokens give none)."""
    toks, n = _tokens(text, params), params.ngram
    count = max(len(toks) - n + 1, 1) if toks else 0
    if params.shingle == "word":
        return [b" ".join(toks[i : i + n]) for i in range(count)]
    return ["".join(toks[i : i + n]).encode() for i in range(count)]


class _WordHashes(dict):
    """word bytes -> blake2b-32, computed once per distinct word (lookups run in C via map)."""

    def __missing__(self, word: bytes) -> int:
        if len(self) > 2_000_000:  # bound memory on huge vocabularies
            self.clear()
        h = self[word] = int.from_bytes(hashlib.blake2b(word, digest_size=4).digest(), "little")
        return h


_word_hashes = _WordHashes()


def _token_values(tokens: list, word: bool) -> np.ndarray:
    if word:
        return np.fromiter(map(_word_hashes.__getitem__, tokens), np.uint32, len(tokens))
    return np.frombuffer("".join(tokens).encode("utf-32-le"), np.uint32)  # code points


def _fast_batch(docs: list[list], n: int, word: bool) -> tuple[np.ndarray, np.ndarray]:
    """'fast' hashes of every shingle of a batch of token lists: (hashes (S,), shingles per doc).

    Shingle i of a doc with L tokens chains tokens i..i+n-1 (all L if L < n):
    h = t_i; h = fmix32(h * C + t_{i+j}) for j = 1 .. min(n, L) - 1; computed for the whole batch.
    """
    lens = np.fromiter(map(len, docs), np.int64, len(docs))
    counts = np.where(lens > 0, np.maximum(lens - n + 1, 1), 0)
    t = _token_values([tok for d in docs for tok in d], word)
    if t.size == 0:
        return t, counts
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])  # each doc's first token
    before = np.concatenate([[0], np.cumsum(counts)[:-1]])  # shingles of earlier docs
    start = np.repeat(first, counts) + np.arange(counts.sum()) - np.repeat(before, counts)
    length = np.repeat(lens, counts)
    h = t[start]
    for j in range(1, n):
        nxt = t[np.minimum(start + j, t.size - 1)]
        h = np.where(j < length, fmix32(h * _COMBINE + nxt), h)
    return h, counts


def shingle_hashes(texts: list[str], params: MinHashParams) -> tuple[np.ndarray, np.ndarray]:
    """hashfunc of every shingle of every text, concatenated: (hashes (S,) uint32, shingles per text)."""
    if params.hash == "fast":
        return _fast_batch([_tokens(t, params) for t in texts], params.ngram, params.shingle == "word")
    per_doc = [shingle_bytes(t, params) for t in texts]
    digests = (hashlib.sha1(s).digest()[:4] for d in per_doc for s in d)
    hashes = np.fromiter((int.from_bytes(d, "little") for d in digests), np.uint32)
    return hashes, np.fromiter(map(len, per_doc), np.int64, len(per_doc))


def shingle_sets(texts: list[str], params: MinHashParams, batch_docs: int = 256) -> list[np.ndarray]:
    """Each text's set of shingle hashes (sorted unique uint32): what exact-Jaccard verification compares."""
    out: list[np.ndarray] = []
    for lo in range(0, len(texts), batch_docs):
        out += _sets(*shingle_hashes(texts[lo : lo + batch_docs], params))
    return out


def _sets(hashes: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    return [np.unique(h) for h in np.split(hashes, np.cumsum(counts)[:-1])]


def hashfunc(params: MinHashParams) -> Callable[[bytes], int]:
    """The per-shingle function datasketch needs to reproduce these signatures: MinHash(hashfunc=...)."""
    if params.hash == "sha1":
        return lambda b: struct.unpack("<I", hashlib.sha1(b).digest()[:4])[0]
    word = params.shingle == "word"

    def fast(b: bytes) -> int:
        toks = b.split(b" ") if word else list(b.decode())
        return int(_fast_batch([toks], len(toks), word)[0][0])

    return fast


def sketch(
    texts: list[str], params: MinHashParams, keep_sets: bool = True, batch_docs: int = 256
) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """(signatures (len(texts), num_perm) uint32, shingle sets or None) in one pass over the shingles.

    A text without shingles gets an all-EMPTY signature. Texts are hashed `batch_docs` at a time, which
    bounds memory: the (num_perm, shingles) block is about 256 docs x 250 shingles x 128 perms x 4 B = 33 MB
    for ~1.5 kB documents, and no more than a batch of tokens is held as Python objects.
    """
    a, b = permutations(params)
    out = np.full((len(texts), params.num_perm), EMPTY, np.uint32)
    sets: list[np.ndarray] | None = [] if keep_sets else None
    for lo in range(0, len(texts), batch_docs):
        hashes, counts = shingle_hashes(texts[lo : lo + batch_docs], params)
        if sets is not None:
            sets += _sets(hashes, counts)
        rows = np.flatnonzero(counts)
        if rows.size:
            phv = a[:, None] * fmix32(hashes) + b[:, None]  # (num_perm, S): wrapping = mod 2^32
            offsets = np.concatenate([[0], np.cumsum(counts[rows])[:-1]])
            out[lo + rows] = np.minimum.reduceat(phv, offsets, axis=1).T
    return out, sets


def signatures(texts: list[str], params: MinHashParams, batch_docs: int = 256) -> np.ndarray:
    """(len(texts), num_perm) uint32 MinHash signatures; a text without shingles gets all EMPTY."""
    return sketch(texts, params, keep_sets=False, batch_docs=batch_docs)[0]
