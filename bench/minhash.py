"""MinHash signature throughput against datasketch on the same documents and parameters, same run.

    python bench/minhash.py --docs 5000

Documents: the first N records of the sample corpus, cut to 1,500 characters (~1.5 kB), word 5-grams,
num_perm=128, seed=1. Our figures include shingling; datasketch's `bulk` and `update` rows are timed
over pre-built shingle sets (shingling excluded, which favours datasketch). Each figure is the median
of 3 runs; our first run (word-hash cache cold) is printed too. Every datasketch row is checked to
give signatures equal to ours.
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


def timed(fn, repeats: int = 3) -> tuple[object, float, float]:
    """(result, median seconds over `repeats` runs, seconds of the first run)."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, float(np.median(times)), times[0]


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
    ours_fast, t_fast, t_cold = timed(lambda: minhash.signatures(texts, fast))  # first run: cold word cache
    ours_sha1, t_sha1, _ = timed(lambda: minhash.signatures(texts, sha1))
    bulk, t_bulk, _ = timed(lambda: MinHash.bulk(sets, num_perm=128, seed=1))
    n_loop = min(len(texts), 1000)  # the update loop is slow: time a subset, report per doc
    loop, t_loop, _ = timed(lambda: update_loop(sets[:n_loop], sha1))
    assert np.array_equal(np.stack([m.hashvalues for m in bulk]), ours_sha1)
    assert np.array_equal(loop, ours_sha1[:n_loop])
    fn = minhash.hashfunc(fast)
    check = MinHash.bulk([minhash.shingle_bytes(t, fast) for t in texts[:50]], num_perm=128, seed=1, hashfunc=fn)
    assert np.array_equal(np.stack([m.hashvalues for m in check]), ours_fast[:50])
    n = len(texts)
    rates = {
        "skillmix fast (incl. shingling)": n / t_fast,
        "skillmix fast, first run (cold word cache)": n / t_cold,
        "skillmix sha1 (incl. shingling)": n / t_sha1,
        "datasketch MinHash.bulk (sha1, shingles given)": n / t_bulk,
        "datasketch update() loop (sha1, shingles given)": n_loop / t_loop,
    }
    for name, r in rates.items():
        print(f"{name:<50} {r:9,.0f} docs/s")
    fast_r, cold_r, sha1_r, bulk_r, loop_r = rates.values()
    print(
        f"medians of 3 runs; ratio fast / bulk: {fast_r / bulk_r:.2f} (first run: {cold_r / bulk_r:.2f}); "
        f"fast / update loop: {fast_r / loop_r:.1f}; sha1 / bulk: {sha1_r / bulk_r:.2f} (signatures equal: checked)"
    )


if __name__ == "__main__":
    main()
