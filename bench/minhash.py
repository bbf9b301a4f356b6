"""MinHash signature throughput against datasketch on the same documents and parameters, same run.

    python bench/minhash.py --docs 5000

Documents: the first N records of the sample corpus, cut to 1,500 characters (~1.5 kB), word 5-grams,
num_perm=128, seed=1. Our figures include shingling; datasketch's `bulk` and `update` rows are timed
over pre-built shingle sets (shingling excluded, which favours datasketch). Every datasketch row is
checked to give signatures equal to ours.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from datasketch import MinHash

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas.config import MinHashParams, SampleCorpusParams  # noqa: E402
from tasks.dedup import minhash  # noqa: E402
from tasks.sample import corpus  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def update_loop(sets: list[list[bytes]], params: MinHashParams) -> np.ndarray:
    rows = []
    for shingles in sets:
        m = MinHash(num_perm=params.num_perm, seed=params.seed)
        for s in shingles:
            m.update(s)
        rows.append(m.hashvalues)
    return np.stack(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=5000)
    args = ap.parse_args()
    recs = corpus.records(SampleCorpusParams())
    texts = [recs[i % len(recs)]["text"][:1500] for i in range(args.docs)]
    fast, sha1 = MinHashParams(hash="fast"), MinHashParams(hash="sha1")
    sets = [minhash.shingle_bytes(t, sha1) for t in texts]
    print(f"{len(texts):,} docs, mean {np.mean([len(t) for t in texts]):,.0f} chars, "
          f"mean {np.mean([len(s) for s in sets]):,.0f} shingles (word 5-grams), num_perm=128")  # fmt: skip
    minhash.signatures(texts[:200], fast)  # warm the word-hash cache the way a long run would
    ours_fast, t_fast = timed(lambda: minhash.signatures(texts, fast))
    ours_sha1, t_sha1 = timed(lambda: minhash.signatures(texts, sha1))
    bulk, t_bulk = timed(lambda: MinHash.bulk(sets, num_perm=128, seed=1))
    n_loop = min(len(texts), 1000)  # the update loop is slow: time a subset, report per doc
    loop, t_loop = timed(lambda: update_loop(sets[:n_loop], sha1))
    assert np.array_equal(np.stack([m.hashvalues for m in bulk]), ours_sha1)
    assert np.array_equal(loop, ours_sha1[:n_loop])
    fn = minhash.hashfunc(fast)
    check = MinHash.bulk([minhash.shingle_bytes(t, fast) for t in texts[:50]], num_perm=128, seed=1, hashfunc=fn)
    assert np.array_equal(np.stack([m.hashvalues for m in check]), ours_fast[:50])
    names = [
        "skillmix fast (incl. shingling)",
        "skillmix sha1 (incl. shingling)",
        "datasketch MinHash.bulk (sha1, shingles given)",
        "datasketch update() loop (sha1, shingles given)",
    ]
    fast_r, sha1_r, bulk_r, loop_r = (len(texts) / t_fast, len(texts) / t_sha1, len(texts) / t_bulk, n_loop / t_loop)
    for name, r in zip(names, (fast_r, sha1_r, bulk_r, loop_r), strict=True):
        print(f"{name:<50} {r:9,.0f} docs/s")
    print(f"ratio fast / bulk: {fast_r / bulk_r:.2f}; fast / update loop: {fast_r / loop_r:.1f}; "
          f"sha1 / bulk: {sha1_r / bulk_r:.2f} (signatures equal: checked)")  # fmt: skip


if __name__ == "__main__":
    main()
