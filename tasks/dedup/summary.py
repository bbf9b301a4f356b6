"""Dedup counts, the stage summary and the cluster-size plot. Pure: values in, a summary / PNG bytes out."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from schemas.config import DedupParams
from schemas.outputs import DedupSummary
from schemas.refs import DedupPlan
from tasks.common import plots
from tasks.dedup import lsh


def cluster_sizes(near_cluster: pa.Array) -> dict[str, int]:
    """{cluster size: number of clusters} over clusters of two or more documents (JSON keys: strings)."""
    sizes = Counter(Counter(near_cluster.to_pylist()).values())
    return {str(k): int(v) for k, v in sorted(sizes.items()) if k > 1}


def build(p: DedupPlan, params: DedupParams, attrs: pa.Table, d: dict, seconds: float, versions: dict) -> DedupSummary:
    """The stage's summary (report/dedup/summary.json)."""
    bands, rows = lsh.band_rows(params.minhash)
    reasons = Counter(r for r in attrs["drop_reason"].to_pylist() if r)
    kept = int(pc.sum(attrs["keep"]).as_py() or 0)
    return DedupSummary.model_validate({
        "run": p.run, "fingerprint": p.fingerprint, "params": params,
        "documents_in": attrs.num_rows, "kept": kept, "dropped": attrs.num_rows - kept,
        "dropped_by_reason": {r: reasons[r] for r in ("exact_duplicate", "near_duplicate")},
        "counts_add_up": attrs.num_rows == kept + sum(reasons.values()),
        "bands": bands, "rows": rows, "s_curve": lsh.s_curve(bands, rows),
        "candidate_pairs": d["candidate_pairs"], "verified_pairs": d["verified_pairs"],
        "cluster_sizes": cluster_sizes(attrs["near_cluster"]),
        "against": p.against.index.uri if p.against else None, "seconds": round(seconds, 2), **versions,
        "attributes": p.out,
    })  # fmt: skip


def figure(s: DedupSummary) -> bytes:
    """PNG: kept/dropped by reason, and how many clusters of each size."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    labels = ["kept", "exact_duplicate", "near_duplicate"]
    values = [s.kept, *(s.dropped_by_reason[k] for k in labels[1:])]
    a.barh(labels[::-1], values[::-1], color=["#c44e52", "#dd8452", "#4c72b0"])
    a.set_title(f"{s.documents_in:,} documents")
    sizes = s.cluster_sizes
    if sizes:
        b.bar([int(k) for k in sizes], list(sizes.values()), color="#4c72b0")
        b.set_yscale("log")
        b.set_xlabel("documents in the cluster")
        b.set_ylabel("clusters")
    else:
        b.text(0.5, 0.5, "no duplicate clusters", ha="center", va="center", transform=b.transAxes)
        b.set_axis_off()
    threshold = s.params.minhash.threshold
    b.set_title(f"duplicate clusters (bands x rows = {s.bands} x {s.rows}, threshold {threshold})")
    return plots.png(fig)
