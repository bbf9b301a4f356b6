"""Exact duplicates: documents with byte-identical (already NFC-normalised) text. Pure.

Each document gets a 128-bit blake2b digest of its UTF-8 text; documents sharing a digest form an
exact group, represented by its earliest member in input order (the same rule as near clusters).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa


def digests(texts: list[str]) -> pa.Array:
    """(docs,) fixed_size_binary(16): blake2b-128 of each text."""
    return pa.array([hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts], pa.binary(16))


def representatives(digest: pa.Array, pos: np.ndarray) -> np.ndarray:
    """(docs,) int64: for each document, the smallest `pos` among documents with the same digest."""
    table = pa.table({"digest": digest, "pos": pa.array(pos, pa.int64())})
    first = table.group_by("digest", use_threads=False).aggregate([("pos", "min")])
    joined = table.join(first, "digest").sort_by("pos")
    out = np.empty(len(pos), np.int64)
    order = np.argsort(pos)
    out[order] = joined["pos_min"].to_numpy()
    return out
