"""The dedup stage's steps over files: plan, signatures per partition, resolve. No Prefect.

Layout (DESIGN.md):
  work/dedup/<fp>/signatures/part-NNNNN/   DEDUP_SIGNATURES of one documents partition, own _SUCCESS
  attributes/dedup/<fp>/part-NNNNN.parquet DEDUP rows aligned with documents/<ingest fp>/part-NNNNN
  attributes/dedup/<fp>/index/             signatures of the kept documents: what `--against` reads
  attributes/dedup/<fp>/_SUCCESS           written last: params, counts, summary
Signatures are computed per partition (in parallel); the run-wide step reads only digests, band keys
and shingle hashes, never text. A committed signature partition is trusted only if its file still
has the rows its marker says; otherwise it is recomputed.
"""

from __future__ import annotations

import importlib.metadata
import itertools

import numpy as np
import pyarrow as pa

from schemas.config import DedupParams
from schemas.refs import DatasetRef, DedupPlan, PartitionRef
from schemas.tables import DEDUP
from tasks.common import io
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.dedup import exact, lsh, minhash
from tasks.dedup import summary as dsummary
from tasks.ingest import stage as ingest_stage


def plan(run: str, params: DedupParams, against: str | None = None) -> DedupPlan:
    """What to dedup (the run's latest ingest) and where; `done` when already committed."""
    docs = ingest_stage.latest(run).documents
    prior = _compatible_index(against, params) if against else None
    # the documents by ingest fingerprint and partition names, not paths: the same corpus gives the same
    # fingerprint in any run directory (what makes manifests byte-identical across runs)
    ingest_fp = docs.uri.rstrip("/").rsplit("/", 1)[-1]
    inputs = [ingest_fp, *(f"{p.name}:{p.num_rows}" for p in docs.partitions)] + ([prior.uri] if prior else [])
    fp = params.fingerprint(*inputs)
    offsets = tuple(int(x) for x in np.cumsum([0] + [p.num_rows for p in docs.partitions])[:-1])
    p = DedupPlan(run=run.rstrip("/"), fingerprint=fp, documents=docs, offsets=offsets, against=prior)
    return p.model_copy(update={"done": io.committed(p.attributes_uri) is not None})


def _compatible_index(against: str, params: DedupParams) -> DatasetRef:
    """The earlier run's index, if its keys and shingle sets can be compared with this run's."""
    index, marker = latest_index(against)
    theirs, ours = marker["minhash"], params.minhash.model_dump()
    if theirs != ours:
        diff = ", ".join(f"{k}={theirs.get(k)} there, {v} here" for k, v in ours.items() if theirs.get(k) != v)
        raise InputError(f"--against {against}: its dedup used other MinHash parameters ({diff}); rerun one of "
                         "them with the same MinHash parameters")  # fmt: skip
    if params.verify and not marker["verify"]:
        raise InputError(f"--against {against}: its index was written without shingle sets (--no-verify); "
                         "rerun its dedup with verification, or use --no-verify here")  # fmt: skip
    return index


def signature_partition(p: DedupPlan, k: int, params: DedupParams) -> PartitionRef:
    """Digests, LSH band keys and shingle hash sets of documents partition k."""
    dst = io.join(p.work_uri, "signatures", f"part-{k:05d}")
    uri = io.join(dst, "signatures.parquet")
    rows = p.documents.partitions[k].num_rows
    if not io.trusted(io.committed(dst), uri):
        io.remove(dst)  # absent, uncommitted or truncated: recompute
        docs = io.read_table(p.documents.partitions[k], ["doc_id", "text"])
        rows = io.write_table(signature_table(docs["doc_id"], docs["text"].to_pylist(), p.offsets[k], params), uri)
        io.commit(dst, {"num_rows": rows})
    ProgressFile(io.join(p.work_uri, "progress", f"{k:05d}.json"), rows, f"part {k}", "docs").update(rows, True)
    return PartitionRef(uri=uri, num_rows=rows, table="dedup_signatures")


def signature_table(doc_ids: pa.Array, texts: list[str], first_pos: int, params: DedupParams) -> pa.Table:
    """DEDUP_SIGNATURES rows; a text with no shingles gets no band keys (it can only be an exact duplicate)."""
    mp = params.minhash
    bands, rows = lsh.band_rows(mp)
    sigs, sets = minhash.sketch(texts, mp, keep_sets=params.verify)  # sets only where verification uses them
    keys = lsh.band_keys(sigs, bands, rows)
    # no shingles gives datasketch's empty signature (all 2^32-1); a text with shingles reaches it only
    # if every one of its num_perm minima is 2^32-1, which is negligible
    has = (sigs != minhash.EMPTY).any(axis=1)
    sizes = [s.size for s in sets] if sets is not None else [0] * len(texts)
    key_offsets = np.concatenate([[0], np.cumsum(np.where(has, bands, 0))]).astype(np.int32)
    set_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
    shingles = np.concatenate(sets) if sets else np.empty(0, np.uint32)
    return pa.table({
        "doc_id": doc_ids,
        "pos": pa.array(np.arange(first_pos, first_pos + len(texts)), pa.int64()),
        "digest": exact.digests(texts),
        "keys": pa.ListArray.from_arrays(key_offsets, pa.array(keys[has].ravel(), pa.uint64())),
        "shingles": pa.ListArray.from_arrays(set_offsets, pa.array(shingles, pa.uint32())),
    })  # fmt: skip


def _lists(column: pa.ChunkedArray) -> list[np.ndarray]:
    arr = column.combine_chunks()
    values, offsets = arr.values.to_numpy(zero_copy_only=False), arr.offsets.to_numpy()
    return [values[a:b] for a, b in itertools.pairwise(offsets)]


def decide(table: pa.Table, n_prior: int, params: DedupParams) -> dict:
    """Run-wide decisions over signature rows in input order (the first `n_prior` rows: an earlier run's
    kept documents, which always win). Returns numpy columns for the new rows and counts."""
    n = table.num_rows
    pos = np.arange(n)  # row order is input order: prior index first, then this run's partitions
    exact_rep = exact.representatives(table["digest"].combine_chunks(), pos)
    key_lists = _lists(table["keys"])
    rows = np.flatnonzero([k.size > 0 for k in key_lists])
    keys = np.stack([key_lists[i] for i in rows]) if rows.size else np.empty((0, 1), np.uint64)
    pairs = lsh.candidate_pairs(keys, rows)
    candidates = len(pairs)
    if params.verify and len(pairs):
        pairs = pairs[lsh.verify(pairs, _lists(table["shingles"]), params.minhash.threshold)]
    near = lsh.clusters(n, np.concatenate([pairs, np.stack([pos, exact_rep], 1)]))  # exact copies join too
    keep = (near == pos) & (exact_rep == pos)
    reason = np.where(exact_rep != pos, "exact_duplicate", np.where(near != pos, "near_duplicate", ""))
    new = slice(n_prior, n)
    return {"exact_rep": exact_rep[new], "near": near[new], "keep": keep[new], "reason": reason[new],
            "candidate_pairs": candidates, "verified_pairs": len(pairs)}  # fmt: skip


def resolve(p: DedupPlan, signatures: list[PartitionRef], params: DedupParams, seconds: float = 0.0) -> dict:
    """Decide every document, write the attribute partitions, the index and the summary; commit."""
    if (done := io.committed(p.attributes_uri)) is not None:
        return done
    prior = [io.read_table(r) for r in p.against.partitions] if p.against else []
    table = pa.concat_tables(prior + [io.read_table(r) for r in signatures])
    n_prior = sum(t.num_rows for t in prior)
    d = decide(table, n_prior, params)
    ids = table["doc_id"].combine_chunks()
    attrs = pa.table({
        "doc_id": ids.slice(n_prior),
        "exact_group": ids.take(pa.array(d["exact_rep"])), "near_cluster": ids.take(pa.array(d["near"])),
        "keep": pa.array(d["keep"]), "drop_reason": pa.array([r or None for r in d["reason"]], pa.string()),
    }, schema=DEDUP)  # fmt: skip
    parts = []
    for doc_part, offset in zip(p.documents.partitions, p.offsets, strict=True):
        name = doc_part.name
        rows = io.write_table(attrs.slice(offset, doc_part.num_rows), io.join(p.attributes_uri, name))
        parts.append({"name": name, "num_rows": rows})
    kept = table.slice(n_prior).filter(pa.array(d["keep"]))
    io.write_table(kept, io.join(p.attributes_uri, "index", "part-00000.parquet"))
    index = {"partitions": [{"name": "part-00000.parquet", "num_rows": kept.num_rows}],
             "minhash": params.minhash.model_dump(), "verify": params.verify}  # fmt: skip
    io.commit(io.join(p.attributes_uri, "index"), index)
    report = dsummary.build(p, params, attrs, d, seconds, _versions())
    marker = {"fingerprint": p.fingerprint, "partitions": parts, "summary": report}
    io.commit(p.attributes_uri, marker)
    io.remove(p.work_uri)
    return io.committed(p.attributes_uri)  # as a rerun will see it


def _versions() -> dict:
    return {"datasketch": importlib.metadata.version("datasketch"), "scheme": "affine32"}


def committed(p: DedupPlan) -> dict:
    marker = io.committed(p.attributes_uri)
    if marker is None:
        raise InputError(f"{p.attributes_uri}: no committed dedup output here; run `skillmix dedup` first")
    return marker


def write_report(summary: dict, report_uri: str) -> None:
    """summary.json and the cluster-size plot, into the run's report directory."""
    io.write_json(io.join(report_uri, "summary.json"), summary)
    io.write_bytes(io.join(report_uri, "dedup.png"), dsummary.figure(summary))


def attributes(attributes_uri: str) -> DatasetRef:
    """The committed dedup attribute partitions at `attributes_uri` (aligned with the documents')."""
    marker = io.committed(attributes_uri)
    if marker is None:
        raise InputError(f"{attributes_uri}: no committed dedup output here; run `skillmix dedup` first")
    return io.dataset(attributes_uri, "dedup", marker["partitions"])


def kept_partitions(run: str) -> list[tuple[PartitionRef, PartitionRef]]:
    """The kept-documents view later stages read: (documents partition, its dedup attributes) pairs of the
    run's latest ingest and dedup; `read_kept` filters one pair. Nothing is copied or rewritten."""
    docs = ingest_stage.latest(run).documents
    attrs = attributes(latest_uri(run))
    if [p.name for p in docs.partitions] != [p.name for p in attrs.partitions]:
        raise InputError(f"{attrs.uri} was computed for other documents than {docs.uri}; rerun `skillmix dedup`")
    return list(zip(docs.partitions, attrs.partitions, strict=True))


def read_kept(doc_part: PartitionRef, attr_part: PartitionRef, columns: list[str] | None = None) -> pa.Table:
    """The kept rows of one documents partition (rows align with its attribute partition by position)."""
    keep = io.read_table(attr_part, ["doc_id", "keep"])
    docs = io.read_table(doc_part, columns if columns is None or "doc_id" in columns else ["doc_id", *columns])
    if not docs["doc_id"].equals(keep["doc_id"]):
        raise InputError(f"{attr_part.uri} does not align with {doc_part.uri}; rerun `skillmix dedup`")
    return docs.filter(keep["keep"])


def mark_latest(p: DedupPlan) -> None:
    io.point_latest(io.join(p.run, "attributes", "dedup"), p.fingerprint)


def latest_uri(run: str) -> str:
    fp = io.latest(io.join(run, "attributes", "dedup"))
    if fp is None:
        raise InputError(f"{run}: no dedup results; run `skillmix dedup --run {run}` first")
    return io.join(run, "attributes", "dedup", fp)


def latest_index(run: str) -> tuple[DatasetRef, dict]:
    """The kept documents' signatures of a run's latest dedup (what `--against RUN` compares with), and the
    index marker with the MinHash parameters they were made with."""
    uri = io.join(latest_uri(run), "index")
    marker = io.committed(uri)
    if marker is None:
        raise InputError(f"{uri}: no committed dedup index; rerun `skillmix dedup --run {run}`")
    return io.dataset(uri, "dedup_signatures", marker["partitions"]), marker
