"""The quality stage's steps over files: plan, statistics per partition, resolve. No Prefect.

Layout, Dolma's way (attributes beside the documents, the documents never rewritten):
  RUN/attributes/quality-stats/<stats fp>/part-NNNNN/   QUALITY_STATS of dedup's kept documents of one documents
                                                        partition, own _SUCCESS; any rules reuse them
  <out>/part-NNNNN.parquet   QUALITY rows aligned with the documents partition: keep (dedup's and the rules'),
                             drop_reason, the statistics (null where dedup dropped the document)
  <out>/_SUCCESS             written last: params, counts, summary
The statistics' fingerprint covers the documents, dedup's decisions, the stage version and the language model's
file; the output's adds the rules. New rules therefore read the statistics and compute nothing.
"""

from __future__ import annotations

import importlib.metadata
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.config import QualityParams
from schemas.outputs import QualityMarker, QualityStatsMarker, QualitySummary
from schemas.refs import DedupRef, PartitionRef, QualityPlan
from schemas.tables import QUALITY, QUALITY_STATS_TABLE
from tasks.common import catalog, io, views
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.quality import langid, rules, stats
from tasks.quality import summary as qsummary

STATS_VERSION = 1  # bump when a statistic's definition changes


def plan(run: str, dedup: DedupRef, params: QualityParams) -> QualityPlan:
    """dedup's kept documents, where their statistics and the decisions go; unknown rule sources are refused."""
    docs, attrs = dedup.documents.documents, dedup.attributes
    if [p.name for p in docs.partitions] != [p.name for p in attrs.partitions]:
        raise InputError(f"{attrs.uri} was computed for other documents than {docs.uri}; rerun `skillmix dedup`")
    try:
        model = langid.identity()  # a missing package or model fails here, before any work
    except (ModuleNotFoundError, FileNotFoundError) as e:
        raise InputError(f"quality: {e}") from e
    check_sources(docs.partitions, params)
    sfp = QualityParams().fingerprint(f"stats-v{STATS_VERSION}", model, _spacy(), dedup.fingerprint)
    fp = params.fingerprint(sfp)
    p = QualityPlan(**catalog.places(run, "quality", fp), dedup=dedup, stats_fingerprint=sfp,
                    stats=catalog.quality_stats(run, sfp))  # fmt: skip
    return p.model_copy(update={"done": io.committed(p.out) is not None})


def _spacy() -> str:
    return f"spacy-{importlib.metadata.version('spacy')}"


def check_sources(parts: tuple[PartitionRef, ...], params: QualityParams) -> None:
    """Raise InputError naming the rules' sources that no document has (a typo would otherwise filter nothing)."""
    named = {s for r in params.rules for s in r.sources}
    if not named:
        return
    present = set()
    for part in parts:
        present |= set(pc.unique(io.read_table(part, ["source"])["source"]).to_pylist())
    unknown = sorted(named - present)
    if unknown:
        raise InputError(f"--filter-source {', '.join(unknown)}: no documents of that source; the sources are "
                         + ", ".join(sorted(present)))  # fmt: skip


def stats_partition(p: QualityPlan, k: int) -> PartitionRef:
    """Statistics and language of dedup's kept documents of documents partition k (reused when committed)."""
    dst = io.join(p.stats, f"part-{k:05d}")
    uri = io.join(dst, "stats.parquet")
    marker = io.committed(dst)
    if io.trusted(marker, uri) or (marker is not None and marker["num_rows"] == 0):
        rows, computed = marker["num_rows"], 0
    else:
        io.remove(dst)
        kept = views.kept(p.documents.partitions[k], p.dedup.attributes.partitions[k], ["doc_id", "text"])
        bar = ProgressFile(io.join(p.work, "progress", f"{k:05d}.json"), kept.num_rows, f"part {k}", "docs")
        rows = io.write_table(stats_table(kept["doc_id"], kept["text"].to_pylist(), bar.update), uri)
        io.commit(dst, QualityStatsMarker(num_rows=rows, stats_fingerprint=p.stats_fingerprint).model_dump())
        computed = rows
    io.write_json(io.join(p.work, "computed", f"{k:05d}.json"), {"computed": computed, "reused": rows - computed})
    ProgressFile(io.join(p.work, "progress", f"{k:05d}.json"), rows, f"part {k}", "docs").update(rows, True)
    return PartitionRef(uri=uri, num_rows=rows, table="quality_stats")


def stats_table(doc_ids: pa.Array | pa.ChunkedArray, texts: list[str], progress=None) -> pa.Table:
    """QUALITY_STATS rows of these documents."""
    columns = stats.compute(texts, progress)
    lang, score = langid.predict(texts)
    return pa.table({"doc_id": doc_ids, **columns, "language": pa.array(lang, pa.string()),
                     "language_score": score}, schema=QUALITY_STATS_TABLE)  # fmt: skip


def resolve(p: QualityPlan, refs: list[PartitionRef], params: QualityParams, seconds: float = 0.0) -> QualityMarker:
    """Apply the rules to every partition's statistics; write the attribute partitions and the summary; commit."""
    if (done := catalog.load(p.out, QualityMarker)) is not None:
        return done
    parts, tables, dedup_reasons = [], [], Counter()
    for doc_part, dedup_part, ref in zip(p.documents.partitions, p.dedup.attributes.partitions, refs, strict=True):
        dedup = io.read_table(dedup_part, ["doc_id", "keep", "drop_reason"])
        st = io.read_table(ref) if ref.num_rows else QUALITY_STATS_TABLE.empty_table()
        docs = io.read_table(doc_part, ["doc_id", "source", "n_bytes"]).filter(dedup["keep"])
        if not docs["doc_id"].equals(st["doc_id"]):
            raise InputError(f"{ref.uri} does not align with dedup's kept documents of {doc_part.uri}; "
                             f"remove {p.stats} and rerun `skillmix quality`")  # fmt: skip
        keep, reason = rules.decide(params.rules, rules.columns(st), docs["source"].to_numpy(zero_copy_only=False))
        table = attributes(dedup, st, keep, reason)
        rows = io.write_table(table, io.join(p.out, doc_part.name))
        parts.append({"name": doc_part.name, "num_rows": rows})
        dedup_reasons.update(r for r in dedup["drop_reason"].to_pylist() if r)
        tables.append(st.append_column("source", docs["source"]).append_column("n_bytes", docs["n_bytes"])
                      .append_column("reason", pa.array(reason.tolist(), pa.string())))  # fmt: skip
    report = qsummary.build(p, params, pa.concat_tables(tables), dedup_reasons, _texts(p, tables, params),
                            _work(p, len(refs)), seconds, _versions())  # fmt: skip
    marker = QualityMarker(fingerprint=p.fingerprint, partitions=parts, summary=report,
                           inputs={"dedup": p.dedup.fingerprint, "stats": p.stats_fingerprint})  # fmt: skip
    io.commit(p.out, marker.model_dump())
    io.remove(p.work)
    return marker


def _work(p: QualityPlan, n: int) -> dict[str, int]:
    """Statistics computed by this run's tasks and reused from earlier ones."""
    out = Counter()
    for k in range(n):
        uri = io.join(p.work, "computed", f"{k:05d}.json")
        out.update(io.read_json(uri) if io.exists(uri) else {})
    return {"computed": out["computed"], "reused": out["reused"]}


def attributes(dedup: pa.Table, st: pa.Table, keep: np.ndarray, reason: np.ndarray) -> pa.Table:
    """QUALITY rows of one partition: every document; statistics for dedup's kept ones, nulls for the others."""
    kept_rows = np.flatnonzero(dedup["keep"].to_numpy(zero_copy_only=False))
    n = dedup.num_rows
    index = np.full(n, -1, np.int64)
    index[kept_rows] = np.arange(len(kept_rows))
    take = pa.array(index, mask=index < 0)  # null where dedup dropped the document
    final_keep = np.zeros(n, bool)
    final_keep[kept_rows] = keep
    final_reason = np.asarray(dedup["drop_reason"].to_pylist(), dtype=object)
    final_reason[kept_rows] = [r or None for r in reason]
    columns = {"doc_id": dedup["doc_id"], "keep": pa.array(final_keep),
               "drop_reason": pa.array(final_reason.tolist(), pa.string())}  # fmt: skip
    columns |= {name: st[name].take(take) for name in QUALITY.names[3:]}
    return pa.table(columns, schema=QUALITY)


def _texts(p: QualityPlan, tables: list[pa.Table], params: QualityParams) -> dict[str, str]:
    """doc_id -> text of the first `params.examples` dropped documents of each reason (the report's excerpts)."""
    if not params.examples:
        return {}
    seen: Counter = Counter()
    out = {}
    for doc_part, dedup_part, t in zip(p.documents.partitions, p.dedup.attributes.partitions, tables, strict=True):
        reason = t["reason"].to_pylist()
        rows = [i for i, r in enumerate(reason) if r and seen[r] < params.examples and not seen.update([r])]
        if rows:
            kept = views.kept(doc_part, dedup_part, ["doc_id", "text"]).take(pa.array(rows))
            out |= dict(zip(kept["doc_id"].to_pylist(), kept["text"].to_pylist(), strict=True))
    return out


def _versions() -> dict[str, str]:
    return {"spacy": importlib.metadata.version("spacy"), "language_model": langid.identity(),
            "fasttext-predict": importlib.metadata.version("fasttext-predict")}  # fmt: skip


def write_report(summary: QualitySummary, report_uri: str) -> None:
    """summary.json and the figures, into the run's report directory."""
    io.write_json(io.join(report_uri, "summary.json"), summary.model_dump(mode="json"))
    io.write_bytes(io.join(report_uri, "quality.png"), qsummary.figure(summary))
    io.write_bytes(io.join(report_uri, "quality_stats.png"), qsummary.stats_figure(summary))
