"""Ingest counts, the stage summary and the ingest plot. Pure: values in, a summary / PNG bytes out."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.config import IngestParams
from schemas.outputs import IngestSummary
from schemas.refs import FileResult, IngestPlan
from tasks.common import plots
from tasks.ingest.records import REASONS


def counts(results: list[FileResult], duplicate_ids: int) -> dict:
    """Run totals. `duplicate_ids` records move from kept to rejected at commit."""
    by_reason = Counter({r: 0 for r in REASONS})
    for res in results:
        by_reason.update(res.rejected_by_reason)
    by_reason["duplicate_id"] += duplicate_ids
    records = sum(r.records for r in results)
    kept = sum(r.kept for r in results) - duplicate_ids
    rejected = sum(by_reason.values())
    return {
        "records": records, "kept": kept, "rejected": rejected,
        "rejected_by_reason": dict(by_reason), "counts_add_up": records == kept + rejected,
        "blank_lines": sum(r.blank_lines for r in results),
    }  # fmt: skip


def reject_rate_message(c: dict, params: IngestParams, staged: str) -> str:
    top = ", ".join(f"{k}: {v:,}" for k, v in sorted(c["rejected_by_reason"].items(), key=lambda kv: -kv[1]) if v)
    return (
        f"ingest rejected {c['rejected']:,} of {c['records']:,} records ({c['rejected'] / c['records']:.0%}; {top}), "
        f"over max_reject_fraction={params.max_reject_fraction}. Check --text-field / --id-field and the input "
        f"format, or raise --max-reject-fraction. Staged rejects are in {staged}/files/*/rejected/"
    )


def build(
    p: IngestPlan, results: list[FileResult], c: dict, params: IngestParams, sources: list[pa.Table], seconds: float
) -> IngestSummary:
    """The stage's summary (report/ingest/summary.json)."""
    by_source: Counter[str] = Counter()
    for t in sources:
        by_source.update(t["source"].to_pylist())
    per_file: dict[str, dict] = {}  # a large file is read as several ranges: add them up
    for r in results:
        f = per_file.setdefault(r.rel, {"records": 0, "kept_before_id_check": 0, "tasks": 0, "rejected": Counter()})
        f["records"] += r.records
        f["kept_before_id_check"] += r.kept
        f["tasks"] += 1
        f["rejected"].update(r.rejected_by_reason)
    whole = {f.rel: f for f in p.files if f.start == 0}
    return IngestSummary.model_validate({
        "run": p.run, "fingerprint": p.fingerprint, "params": params, "given": list(p.given),
        **c,
        "kept_text_bytes": int(sum(int(pc.sum(t["n_bytes"]).as_py() or 0) for t in sources)),
        "bytes_in": sum(f.size for f in whole.values()),
        "seconds": round(seconds, 2),
        "documents": p.out, "rejected_uri": p.rejected,
        "kept_by_source": dict(sorted(by_source.items())),
        "inputs": [
            {"uri": f.uri, "rel": f.rel, "format": f.format, "compression": f.compression, "size": f.size,
             "version": f.version,
             "records": per_file[rel]["records"], "kept_before_id_check": per_file[rel]["kept_before_id_check"],
             "tasks": per_file[rel]["tasks"], "rejected_by_reason": dict(per_file[rel]["rejected"])}
            for rel, f in whole.items()
        ],
        "skipped_files": list(p.skipped),
    })  # fmt: skip


def figure(s: IngestSummary, sources: list[pa.Table]) -> bytes:
    """PNG: documents per source, document length distribution per source, rejects per reason."""
    plt = plots.pyplot()
    table = pa.concat_tables(sources) if sources else pa.table({"source": [], "n_bytes": []})
    src = np.asarray(table["source"].to_pylist(), dtype=object)
    nbytes = np.asarray(table["n_bytes"].to_pylist(), dtype=float)
    names = sorted(s.kept_by_source, key=lambda k: -s.kept_by_source[k])
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.2))
    a.barh(names[::-1], [s.kept_by_source[n] for n in names[::-1]], color="#4c72b0")
    a.set_title(f"kept documents by source ({s.kept:,})")
    lo, hi = max(nbytes.min(initial=1), 1), max(nbytes.max(initial=10), 10)
    bins = np.logspace(np.log10(lo), np.log10(max(hi, lo * 1.01)), 40)
    for n in names[:8]:
        b.hist(nbytes[src == n], bins=bins, histtype="step", label=n, linewidth=1.5)
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_ylabel("documents")
    b.set_xlabel("document size (UTF-8 bytes)")
    b.set_title("document sizes")
    if names:
        b.legend(fontsize=8)
    reasons = {k: v for k, v in s.rejected_by_reason.items() if v}
    if reasons:
        c.barh(list(reasons)[::-1], list(reasons.values())[::-1], color="#c44e52")
    else:
        c.text(0.5, 0.5, "no rejected records", ha="center", va="center", transform=c.transAxes)
        c.set_axis_off()
    c.set_title(f"rejected records by reason ({s.rejected:,})")
    total = f"{s.records:,} records = {s.kept:,} kept + {s.rejected:,} rejected"
    fig.suptitle(f"ingest {s.fingerprint}: {total}")
    return plots.png(fig)
