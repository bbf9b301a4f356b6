"""Skills benchmarks: embedding throughput against raw sentence-transformers, and clustering at 1M x 384.

    python bench/skills.py embed --docs 1000        # same texts, same model, same run
    python bench/skills.py cluster --rows 1000000   # time and memory of fit-on-sample + chunked assign

embed: N texts of the sample corpus (in corpus order: code, docs, READMEs, licences interleaved as
built). Rows, each timed once after one warm-up call on 64 texts:
  raw encode   SentenceTransformer.encode(texts, batch_size=64): one call (it length-sorts internally)
  raw loop     encode called per batch of 64 in input order (what a batching loop over a dataset does)
  stage        tasks.skills.encoder.encode: word-piece counts, longest first, length-sorted chunks
The stage's embeddings are checked against raw encode's (cosine).

cluster: synthetic L2-normalised 384-d vectors from 64 Gaussian blobs (fixed seed). Rows:
  stage        choose k among (4,6,8,12,16) by silhouette on 10k, fit on 100k, assign all in chunks
  sklearn      MiniBatchKMeans(k, batch_size=4096, n_init=3).fit(all rows): the library on everything
Peak RSS of this process is sampled (the vectors themselves are 1.5 GB at 1M x 384 float32).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import tree_rss_mib  # noqa: E402


def texts_of_sample_corpus(n: int) -> list[str]:
    from schemas.config import SampleCorpusParams
    from tasks.sample import corpus

    return [r["text"] for r in corpus.records(SampleCorpusParams())[:n]]


def bench_embed(n: int) -> dict:
    from tasks.skills import encoder

    texts = texts_of_sample_corpus(n)
    model = encoder.load()
    model.encode(texts[:64], batch_size=64)  # warm-up
    rows = {}
    t0 = time.perf_counter()
    raw = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    rows["raw encode"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for lo in range(0, len(texts), 64):
        model.encode(texts[lo : lo + 64], batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    rows["raw loop"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours, tokens = encoder.encode(texts, model, batch_size=64)
    rows["stage"] = time.perf_counter() - t0
    cos = (ours * raw).sum(axis=1)
    out = {"docs": len(texts), "mean_word_pieces": float(tokens.mean()), "truncated": float((tokens > 256).mean()),
           "cos_min": float(cos.min()), "seconds": rows,
           "docs_per_s": {k: len(texts) / v for k, v in rows.items()},
           "stage_vs_raw_encode": rows["raw encode"] / rows["stage"],
           "stage_vs_raw_loop": rows["raw loop"] / rows["stage"]}  # fmt: skip
    return out


def blobs(n: int, dim: int = 384, centers: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, dim)).astype(np.float32)
    x = np.empty((n, dim), np.float32)
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        x[lo:hi] = c[rng.integers(0, centers, hi - lo)] + 0.8 * rng.normal(size=(hi - lo, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def bench_cluster(n: int, with_sklearn: bool) -> dict:
    from sklearn.cluster import MiniBatchKMeans

    from tasks.skills import cluster

    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        import os

        while not stop.wait(0.2):
            peak[0] = max(peak[0], tree_rss_mib(os.getpid()))

    threading.Thread(target=sample, daemon=True).start()
    x = blobs(n)
    base = tree_rss_mib(__import__("os").getpid())
    out: dict = {"rows": n, "rss_with_vectors_mib": base}
    t0 = time.perf_counter()
    k, scores = cluster.choose_k(x, seed=0)
    t1 = time.perf_counter()
    centroids = cluster.fit(x[cluster.sample(len(x), 100_000, 0)], k, seed=0)
    t2 = time.perf_counter()
    labels = cluster.assign(x, centroids)
    t3 = time.perf_counter()
    out["stage"] = {"k": k, "silhouette": scores, "choose_k_s": t1 - t0, "fit_s": t2 - t1, "assign_s": t3 - t2,
                    "total_s": t3 - t0, "peak_rss_mib": peak[0]}  # fmt: skip
    if with_sklearn:
        peak[0] = 0.0
        t0 = time.perf_counter()
        full = MiniBatchKMeans(n_clusters=k, random_state=0, batch_size=4096, n_init=3).fit(x)
        out["sklearn_full_fit_s"] = time.perf_counter() - t0
        out["sklearn_peak_rss_mib"] = peak[0]
        agree = cluster.agreement(labels, [str(v) for v in full.labels_])
        out["nmi_stage_vs_sklearn_full"] = agree["nmi"]
    stop.set()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--docs", type=int, default=1000)
    c = sub.add_parser("cluster")
    c.add_argument("--rows", type=int, default=1_000_000)
    c.add_argument("--no-sklearn", action="store_true")
    args = ap.parse_args()
    out = bench_embed(args.docs) if args.what == "embed" else bench_cluster(args.rows, not args.no_sklearn)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
