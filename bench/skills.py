"""Skills benchmarks: embedding throughput against raw sentence-transformers, and clustering at 1M x 384.

    python bench/skills.py embed --docs 1000        # same texts, same model, same run
    python bench/skills.py cluster --rows 1000000   # time and memory of fit-on-sample + chunked assign
    python bench/skills.py nmi --run runs/demo      # how much the embeddings know about `source`
    python bench/skills.py backends --run RUN --docs 2000     # each embedding backend against raw fp32 encode
    python bench/skills.py options --run RUN [embedding options] [--seeds 0,1,2]   # skills options vs labels

backends: N kept texts of RUN (seeded sample), at the model's 256 word pieces. Rows: raw
SentenceTransformer.encode fp32 (today's baseline, one call), then tasks.skills.encoder.encode on each
backend and precision (exports made before timing). Per row: docs/s, ratio to raw, cosine to raw (mean,
min), and the NMI of k-means labels (K = 7 and 50, seed 0) on its embeddings with raw fp32's labels.

options: RUN's committed embeddings for the given embedding options (made by `skillmix skills`), clustered by
the stage's own code (`stage._cluster`) under each variant of the skills options and each seed; NMI and ARI
of the skills against the documents' `source` (the domain) and meta `subdomain`, the k chosen, seconds.

embed: N texts of the sample corpus (in corpus order), whole (most exceed MiniLM's 256 word pieces, so
every batch is full length whatever the order) or, with --mixed, cut to mixed lengths. Rows, each
timed once after one warm-up call on 64 texts:
  raw encode   SentenceTransformer.encode(texts, batch_size=64): one call (it length-sorts internally)
  raw loop     encode called per batch of 64 in input order (what a batching loop over a dataset does)
  stage        tasks.skills.encoder.encode: word-piece counts, longest first, length-sorted chunks
The stage's embeddings are checked against raw encode's (cosine).

cluster: synthetic L2-normalised 384-d vectors from 64 Gaussian blobs (fixed seed). Rows:
  stage        the skills stage's defaults: k among (4,6,8,12,16) by silhouette on 10k, fit on a 100k
               sample, assign all in chunks (the algorithm on vectors in memory; the stage reads them
               partition by partition)
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


def texts_of_sample_corpus(n: int, mixed: bool) -> list[str]:
    """The first n sample-corpus texts; `mixed`: each cut to a length drawn log-uniformly from 50-5,000
    characters (seed 0), like short web documents mixed with long ones."""
    from schemas.config import SampleCorpusParams
    from tasks.sample import corpus

    texts = [r["text"] for r in corpus.records(SampleCorpusParams())[:n]]
    if mixed:
        rng = np.random.default_rng(0)
        texts = [t[: int(np.exp(rng.uniform(np.log(50), np.log(5000))))] for t in texts]
    return texts


def bench_embed(n: int, mixed: bool, precision: str = "fp32") -> dict:
    from tasks.skills import encoder

    texts = texts_of_sample_corpus(n, mixed)
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
    ours, tokens = encoder.encode(texts, model, batch_size=64, precision=precision)
    rows["stage"] = time.perf_counter() - t0
    cos = (ours * raw).sum(axis=1)
    out = {"docs": len(texts), "mixed_lengths": mixed, "stage_precision": precision,
           "mean_word_pieces": float(tokens.mean()), "truncated": float((tokens > 256).mean()),
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
        x[lo:hi] /= np.linalg.norm(x[lo:hi], axis=1, keepdims=True)
    return x


def bench_cluster(n: int, with_sklearn: bool) -> dict:
    from sklearn.cluster import MiniBatchKMeans

    from schemas.config import SkillsParams
    from tasks.skills import cluster

    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        import os

        while not stop.wait(0.2):
            peak[0] = max(peak[0], tree_rss_mib(os.getpid()))

    threading.Thread(target=sample, daemon=True).start()
    x = blobs(n)
    defaults = SkillsParams()
    out: dict = {"rows": n, "rss_with_vectors_mib": tree_rss_mib(__import__("os").getpid())}
    peak[0] = 0.0  # from here on: the clustering, not the making of the vectors
    t0 = time.perf_counter()
    k, scores = cluster.choose_k(x, seed=0, candidates=defaults.k_candidates)
    t1 = time.perf_counter()
    centroids = cluster.fit(x[cluster.sample(len(x), defaults.max_fit, 0)], k, seed=0)
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


def bench_nmi(run: str) -> dict:
    """How much the embeddings of a run's skills stage say about its `source` label: NMI of k-means at
    several k and of agglomerative (Ward) clustering, and the accuracy of a supervised linear probe (3-fold) against
    the majority class, an upper bound on what any clustering of these vectors could recover."""
    import pyarrow as pa
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.model_selection import cross_val_score
    from sklearn.preprocessing import StandardScaler

    from tasks.common import catalog, views
    from tasks.skills import formats

    skills = catalog.latest(run, "skills")
    summary = catalog.summary(skills)
    x = np.concatenate([views.embeddings(r)[1] for r in skills.embeddings.partitions if r.num_rows])
    pairs = zip(skills.quality.documents.documents.partitions, skills.quality.attributes.partitions, strict=True)
    kept = pa.concat_tables([views.kept(d, a, ["source", "text"]) for d, a in pairs])  # the order embedded in
    truth = np.array(kept["source"].to_pylist())
    values, counts = np.unique(truth, return_counts=True)
    out = {"documents": len(x), "labels": dict(zip(values.tolist(), counts.tolist(), strict=True)),
           "stage_default": {"k": summary.k, "purity": summary.agreement.purity, "nmi": summary.agreement.nmi},
           "majority_share": float(counts.max() / counts.sum())}  # fmt: skip
    nmi = normalized_mutual_info_score
    out["kmeans_nmi"] = {k: float(nmi(truth, KMeans(k, random_state=0, n_init=4).fit_predict(x)))
                         for k in (2, 4, 8, 16, 32)}  # fmt: skip
    out["ward_nmi_k4"] = float(nmi(truth, AgglomerativeClustering(4).fit_predict(x)))
    out["probe_accuracy"] = float(cross_val_score(LogisticRegression(max_iter=2000), x, truth, cv=3).mean())
    texts = kept["text"].to_pylist()
    f = StandardScaler().fit_transform(formats.stats(texts))
    out["format_features_kmeans_nmi"] = {k: float(nmi(truth, KMeans(k, random_state=0, n_init=4).fit_predict(f)))
                                         for k in (4, 8)}  # fmt: skip
    return out


def bench_backends(run: str, n: int, seed: int = 0) -> dict:
    from sklearn.cluster import KMeans

    from tasks.skills import backends, encoder

    texts = _kept_texts(run, n, seed)
    raw_model = encoder.load()
    raw_model.encode(texts[:64], batch_size=64)  # warm-up
    t0 = time.perf_counter()
    raw = raw_model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    rows = {"raw encode fp32": {"seconds": time.perf_counter() - t0}}
    embedded = {"raw encode fp32": raw}
    for backend, precision in (("torch", "bf16"), ("openvino", "fp32"), ("openvino", "bf16"), ("onnx", "fp32"),
                               ("onnx", "int8")):  # fmt: skip
        name = f"{backend} {precision}"
        t0 = time.perf_counter()
        if backend != "torch":
            backends.ensure_export(encoder.model_path(encoder.DEFAULT_MODEL), backend, precision)
        model = encoder.load(encoder.DEFAULT_MODEL, "cpu", backend, precision)
        export_s = time.perf_counter() - t0
        encoder.encode(texts[:64], model, precision=precision)  # warm-up
        t0 = time.perf_counter()
        embedded[name], _ = encoder.encode(texts, model, precision=precision)
        rows[name] = {"seconds": time.perf_counter() - t0, "load_or_export_s": export_s}
    labels = {k: {name: KMeans(k, random_state=0, n_init=4).fit_predict(e) for name, e in embedded.items()}
              for k in (7, 50)}  # fmt: skip
    base = rows["raw encode fp32"]["seconds"]
    for name, e in embedded.items():
        cos = (e * raw).sum(axis=1)
        rows[name].update({"docs_per_s": n / rows[name]["seconds"], "x_raw": base / rows[name]["seconds"],
                           "cos_mean": float(cos.mean()), "cos_min": float(cos.min()),
                           **{f"nmi_vs_fp32_k{k}": _nmi(labels[k][name], labels[k]["raw encode fp32"])
                              for k in labels}})  # fmt: skip
    return {"run": run, "docs": n, "rows": rows}


def _nmi(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(b, a))


def _kept_texts(run: str, n: int, seed: int) -> list[str]:
    import pyarrow as pa

    from tasks.common import catalog, views
    from tasks.skills import cluster

    kept = catalog.latest(run, "quality")  # what skills embeds: kept by dedup and the quality rules
    pairs = zip(kept.documents.documents.partitions, kept.attributes.partitions, strict=True)
    texts = pa.concat_tables([views.kept(d, a, ["text"]) for d, a in pairs])["text"].to_pylist()
    return [texts[i] for i in cluster.sample(len(texts), n, seed)]


VARIANTS = {  # name: SkillsParams fields, every one that differs between variants named (k None: the method's choice)
    name: {
        "method": method,
        "lexical_weight": lex,
        "format_weight": fmt,
        "k_candidates": (4, 6, 8, 12, 16),
        **({"k": k} if k else {}),
    }
    for name, method, k, lex, fmt in (
        ("kmeans, k by silhouette", "kmeans", None, 0.0, 0.0),
        ("kmeans k=7", "kmeans", 7, 0.0, 0.0),
        ("merge, k by gap", "merge", None, 0.0, 0.0),
        ("merge k=7", "merge", 7, 0.0, 0.0),
        ("merge, gap, format 0.3", "merge", None, 0.0, 0.3),
        ("merge k=7, format 0.3", "merge", 7, 0.0, 0.3),
        ("merge, gap, lexical 1", "merge", None, 1.0, 0.0),
        ("merge k=7, lexical 1", "merge", 7, 1.0, 0.0),
        ("merge, gap, lexical 1, format 0.3", "merge", None, 1.0, 0.3),
        ("merge k=7, lexical 1, format 0.3", "merge", 7, 1.0, 0.3),
        ("kmeans k=7, lexical 1", "kmeans", 7, 1.0, 0.0),
        ("kmeans, silhouette, lexical 1, format 0.3", "kmeans", None, 1.0, 0.3),
        ("merge k=10, lexical 1, format 0.3", "merge", 10, 1.0, 0.3),
    )
}
VARIANTS["merge, gap in 8-16, lexical 1, format 0.3"] = {**VARIANTS["merge, gap, lexical 1, format 0.3"],
                                                         "k_candidates": (8, 16)}  # fmt: skip
VARIANTS["merge, gap in 8-24, lexical 1, format 0.3"] = {**VARIANTS["merge, gap, lexical 1, format 0.3"],
                                                         "k_candidates": (8, 24)}  # fmt: skip


def bench_options(run: str, embed, seeds: list[int], variants: list[str]) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from schemas.config import SkillsParams
    from schemas.refs import PartitionRef
    from tasks.common import catalog, io
    from tasks.skills import stage

    p = stage.plan(run, catalog.latest(run, "quality"), embed, SkillsParams())
    refs = []
    for k in range(len(p.documents.partitions)):
        marker = io.committed(io.join(p.embeddings, f"part-{k:05d}"))
        if marker is None:
            raise SystemExit(f"{run}: no committed embeddings for these options ({p.embeddings}): run skillmix skills")
        refs.append(PartitionRef(uri=io.join(p.embeddings, f"part-{k:05d}", "embeddings.parquet"),
                                 num_rows=marker["num_rows"], table="embeddings"))  # fmt: skip
    n = sum(r.num_rows for r in refs)
    truth = {f: stage._field(p, f, required=True) for f in ("source", "subdomain")}
    out = {"run": run, "documents": n, "embed": embed.model_dump(), "variants": {}}
    for name in variants:
        rows = []
        for seed in seeds:
            params = SkillsParams(seed=seed, **VARIANTS[name])
            t0 = time.perf_counter()
            skills, _, fine = stage._cluster(p, refs, n, params)
            row = {"seed": seed, "k": int(skills.max()) + 1, "seconds": time.perf_counter() - t0,
                   "fine_k": len(fine["fine"]) if fine else None}  # fmt: skip
            for f, t in truth.items():
                row[f"nmi_{f}"] = float(normalized_mutual_info_score(t, skills))
                row[f"ari_{f}"] = float(adjusted_rand_score(t, skills))
            rows.append(row)
            print(f"{name:40s} seed {seed}: k {row['k']:3d}  NMI domain {row['nmi_source']:.3f}  ARI "
                  f"{row['ari_source']:.3f}  NMI subdomain {row['nmi_subdomain']:.3f}  {row['seconds']:.1f} s",
                  flush=True)  # fmt: skip
        out["variants"][name] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--docs", type=int, default=1000)
    e.add_argument("--mixed", action="store_true", help="cut texts to mixed lengths (50-5,000 chars)")
    e.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="the stage row's precision")
    c = sub.add_parser("cluster")
    c.add_argument("--rows", type=int, default=1_000_000)
    c.add_argument("--no-sklearn", action="store_true")
    m = sub.add_parser("nmi")
    m.add_argument("--run", default="runs/demo")
    b = sub.add_parser("backends")
    b.add_argument("--run", required=True)
    b.add_argument("--docs", type=int, default=2000)
    o = sub.add_parser("options")
    o.add_argument("--run", required=True)
    o.add_argument("--backend", default=None)
    o.add_argument("--precision", default=None)
    o.add_argument("--pooling", default=None)
    o.add_argument("--max-chunks", type=int, default=None)
    o.add_argument("--max-seq-length", type=int, default=None, help="0: the model's own (None)")
    o.add_argument("--seeds", default="0,1,2")
    o.add_argument("--variants", default=";".join(VARIANTS), help="names of VARIANTS, separated by ;")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    args = ap.parse_args()
    if args.what == "embed":
        out = bench_embed(args.docs, args.mixed, args.precision)
    elif args.what == "cluster":
        out = bench_cluster(args.rows, not args.no_sklearn)
    elif args.what == "backends":
        out = bench_backends(args.run, args.docs)
    elif args.what == "options":
        from schemas.config import EmbedParams

        given = {k: getattr(args, k) for k in ("backend", "precision", "pooling", "max_chunks", "max_seq_length")}
        embed = EmbedParams(**{k: v for k, v in given.items() if v is not None})
        embed = embed.model_copy(update={"max_seq_length": None}) if args.max_seq_length == 0 else embed
        out = bench_options(args.run, embed, [int(s) for s in args.seeds.split(",")], args.variants.split(";"))
    else:
        out = bench_nmi(args.run)
    text = json.dumps(out, indent=1)
    print(text if args.what != "options" else _options_table(out))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


def _options_table(out: dict) -> str:
    lines = [
        "| variant | k chosen | NMI domain (mean +- sd) | ARI domain | NMI subdomain | ARI subdomain | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in out["variants"].items():

        def ms(key: str, rows=rows) -> str:
            v = np.array([r[key] for r in rows])
            return f"{v.mean():.3f} +- {v.std():.3f}"

        ks = ",".join(str(r["k"]) for r in rows)
        lines.append(
            f"| {name} | {ks} | {ms('nmi_source')} | {ms('ari_source')} | {ms('nmi_subdomain')} | "
            f"{ms('ari_subdomain')} | {np.mean([r['seconds'] for r in rows]):.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
