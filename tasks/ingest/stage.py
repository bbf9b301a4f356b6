"""The ingest stage's steps over files: plan, ingest one file, commit. No Prefect.

Built on tasks.common.io (which does all opening and writing) and the pure modules
(records, readers, ids, summary); tasks.ingest.prefect_tasks wraps each step in a Prefect task.

Layout: each input file is staged under `work/ingest/<fp>/files/<k>/` with its own `_SUCCESS`
(a crashed run resumes file by file); `commit` settles run-wide id uniqueness and moves the staged
partitions to `documents/<fp>/part-NNNNN.parquet` and `rejected/<fp>/`, writing `_SUCCESS` last.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from schemas.config import IngestParams
from schemas.outputs import IngestMarker, IngestSummary, RejectedMarker
from schemas.refs import DocumentsRef, FileResult, IngestPlan, PartitionRef, SourceFile
from schemas.tables import REJECTED
from tasks.common import catalog, io
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.ingest import ids, readers, summary
from tasks.ingest.records import RecordSpec, Reject


class RejectRateError(InputError):
    """More records were rejected than params.max_reject_fraction allows."""


def plan(inputs: list[str], run: str, params: IngestParams) -> IngestPlan:
    """Input files (large plain JSONL cut into ranges), the fingerprint of (params, file versions); `done`
    if this exact ingest is already committed."""
    if not inputs:
        raise InputError("no inputs given; pass JSONL/Parquet files or directories")
    files, skipped = io.discover(inputs)
    if not files:
        raise InputError(f"no readable files in {', '.join(inputs)} (skipped: {', '.join(skipped[:5])})")
    fp = fingerprint(files, params)
    p = IngestPlan(**catalog.places(run, "ingest", fp), rejected=catalog.rejected(run, fp), given=tuple(inputs),
                   files=tuple(files), skipped=tuple(skipped))  # fmt: skip
    if io.committed(p.out) is not None:
        return p.model_copy(update={"done": True})  # no need to cut files into ranges (a full read)
    return p.model_copy(update={"files": tuple(u for f in files for u in _units(f, params))})


def fingerprint(files: list[SourceFile], params: IngestParams) -> str:
    """An ingest's fingerprint: its params and every input file's name, format, size and version."""
    return params.fingerprint(*(f.fingerprint() for f in files))


def _units(f: SourceFile, params: IngestParams) -> list[SourceFile]:
    """A large plain JSONL file becomes line-aligned byte ranges, one task each; others stay whole."""
    if f.format != "jsonl" or f.compression or f.size <= params.split_bytes:
        return [f]
    ranges = io.line_ranges(f, params.split_bytes)
    return [f.model_copy(update={"start": s, "end": e, "first_row": r}) for s, e, r in ranges]


def file_uri(p: IngestPlan, index: int) -> str:
    return io.join(p.work, "files", f"{index:05d}")


def progress_uri(p: IngestPlan, index: int) -> str:
    return io.join(p.work, "progress", f"{index:05d}.json")


def _records(src: SourceFile, stream, raw, spec: RecordSpec, tally: readers.Tally):
    """(record, input bytes consumed so far) pairs of one file."""
    if src.format == "jsonl":
        length = None if src.end is None else src.length
        for item in readers.jsonl_records(stream, spec, tally, src.first_row, length):
            yield item, raw.tell() - src.start
    elif src.format == "parquet":
        pf = io.parquet_file(raw)
        n = max(pf.metadata.num_rows, 1)
        for i, item in enumerate(readers.parquet_records(pf, spec)):
            yield item, src.size * (i + 1) // n
    else:
        for item in readers.text_records(stream, src.size, spec):
            yield item, src.size


def ingest_file(src: SourceFile, dst_uri: str, params: IngestParams, progress: str | None = None) -> FileResult:
    """Stage one input file's documents and rejects as parquet partitions; idempotent."""
    if (done := io.committed(dst_uri)) is not None:
        return FileResult(**done)
    io.remove(dst_uri)  # leftovers of an attempt that crashed
    spec = RecordSpec(params, src.rel, src.default_source)
    tally = readers.Tally(spec)
    bar = ProgressFile(progress, src.length, src.rel) if progress else None
    try:
        with (
            io.open_binary(src) as (stream, raw),
            io.PartitionWriter(io.join(dst_uri, "documents"), "documents", params.partition_bytes) as docs,
            io.PartitionWriter(io.join(dst_uri, "rejected"), "rejected", params.partition_bytes) as rejects,
        ):
            for item, consumed in _records(src, stream, raw, spec, tally):
                tally.add(item)
                if isinstance(item, Reject):
                    rejects.append(item.as_row(src.rel), len(item.excerpt) + len(item.detail))
                else:
                    docs.append(item, item[6])
                if bar:
                    bar.update(consumed)
            tally.check()
    except (OSError, EOFError, pa.ArrowException) as e:
        raise InputError(f"{src.uri}: unreadable ({type(e).__name__}: {e}); check that the file is complete") from e
    if bar:
        bar.update(src.length, force=True)
    result = FileResult(
        rel=src.rel, uri=dst_uri, kept=tally.kept, kept_bytes=tally.kept_bytes,
        documents=tuple({**p, "name": f"documents/{p['name']}"} for p in docs.parts),
        rejected=tuple({**p, "name": f"rejected/{p['name']}"} for p in rejects.parts),
        rejected_by_reason=dict(tally.rejected), blank_lines=tally.blank_lines,
    )  # fmt: skip
    io.commit(dst_uri, result.model_dump())
    return result


def _staged(results: list[FileResult], kind: str, dst_uri: str) -> list[tuple[PartitionRef, str]]:
    """Each staged partition and its final place, `dst_uri/part-NNNNN.parquet` by its input-order index.

    The ref points at the staged file, or at the final one if an earlier, crashed commit moved it.
    """
    out = []
    for r in results:
        for p in getattr(r, kind):
            final = io.join(dst_uri, f"part-{len(out):05d}.parquet")
            staged = io.join(r.uri, p["name"])
            uri = staged if io.exists(staged) else final
            out.append((PartitionRef(uri=uri, num_rows=p["num_rows"], table=kind), final))
    return out


def _duplicate_rejects(docs: list[PartitionRef], dups: pa.Table) -> dict[int, tuple[pa.Array, pa.Table]]:
    """For each staged partition with losers: (keep mask, REJECTED rows naming the id's owner)."""
    out = {}
    owner_cols = {}
    for part in sorted(set(dups["part"].to_pylist())):
        sel = dups.filter(pc.equal(dups["part"], part))
        table = io.read_table(docs[part], ["doc_id", "text", "file", "row"])
        losers = pc.take(table, sel["index"])
        owners = []
        for fp_, fi in zip(sel["first_part"].to_pylist(), sel["first_index"].to_pylist(), strict=True):
            if fp_ not in owner_cols:
                owner_cols[fp_] = io.read_table(docs[fp_], ["file", "row"])
            o = owner_cols[fp_]
            owners.append(f"id already used by {o['file'][fi].as_py()}:{o['row'][fi].as_py()}")
        rows = pa.table({
            "file": losers["file"], "row": losers["row"],
            "reason": pa.array(["duplicate_id"] * losers.num_rows), "detail": pa.array(owners),
            "excerpt": pc.utf8_slice_codeunits(losers["text"], 0, 200), "doc_id": losers["doc_id"],
        }, schema=REJECTED)  # fmt: skip
        keep = pc.invert(pc.is_in(pa.array(range(table.num_rows), pa.int64()), value_set=sel["index"]))
        out[part] = (keep, rows)
    return out


def _place(staged: list[tuple[PartitionRef, str]], keep: dict[int, pa.Array]) -> list[dict]:
    """Put each staged partition at its final name: moved as is, or rewritten without losers (kept staged,
    so a commit that crashes can decide the same again). Idempotent; returns marker entries."""
    parts = []
    for k, (ref, final) in enumerate(staged):
        name = final.rsplit("/", 1)[-1]
        if k in keep:
            if rows := io.write_table(io.read_table(ref).filter(keep[k]), final):
                parts.append({"name": name, "num_rows": rows})
        else:
            if ref.uri != final:
                io.move(ref.uri, final)
            parts.append({"name": name, "num_rows": ref.num_rows})
    return parts


def commit(p: IngestPlan, results: list[FileResult], params: IngestParams, seconds: float = 0.0) -> IngestMarker:
    """Settle id uniqueness over all files, check the reject rate, and publish the run's output.

    Rerunnable after a crash at any point: decisions are recomputed from the same staged data.
    """
    if (done := catalog.load(p.out, IngestMarker)) is not None:
        return done
    docs = _staged(results, "documents", p.out)
    rejects = _staged(results, "rejected", p.rejected)
    dups = ids.duplicate_positions([io.read_table(r, ["doc_id"])["doc_id"].combine_chunks() for r, _ in docs])
    losers = _duplicate_rejects([r for r, _ in docs], dups)
    counts = summary.counts(results, dups.num_rows)
    if counts["records"] and counts["rejected"] > params.max_reject_fraction * counts["records"]:
        raise RejectRateError(summary.reject_rate_message(counts, params, p.work))
    doc_parts = _place(docs, {k: v[0] for k, v in losers.items()})
    rej_parts = _place(rejects, {})
    if losers:
        extra = pa.concat_tables([rows for _, rows in losers.values()])
        name = f"part-{len(rejects):05d}.parquet"
        io.write_table(extra, io.join(p.rejected, name))
        rej_parts.append({"name": name, "num_rows": extra.num_rows})
    documents = io.dataset(p.out, "documents", doc_parts)
    sources = [io.read_table(r, ["source", "n_bytes"]) for r in documents.partitions]
    report = summary.build(p, results, counts, params, sources, seconds)
    io.commit(p.rejected, RejectedMarker(fingerprint=p.fingerprint, partitions=rej_parts).model_dump())
    marker = IngestMarker(fingerprint=p.fingerprint, partitions=doc_parts, summary=report)
    io.commit(p.out, marker.model_dump())
    io.remove(p.work)
    return marker


def write_report(documents: DocumentsRef, s: IngestSummary, report_uri: str) -> None:
    """summary.json (always) and the documents/rejects plot, into the run's report directory."""
    io.write_json(io.join(report_uri, "summary.json"), s.model_dump(mode="json"))
    sources = [io.read_table(r, ["source", "n_bytes"]) for r in documents.documents.partitions]
    io.write_bytes(io.join(report_uri, "ingest.png"), summary.figure(s, sources))
