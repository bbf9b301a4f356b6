"""The dedup stage's steps over files: plan, signatures per partition, resolve. No Prefect.

Layout (the plan's directories, from the run catalog):
  <work>/signatures/part-NNNNN/   DEDUP_SIGNATURES of one documents partition, own _SUCCESS
  <out>/part-NNNNN.parquet        DEDUP rows aligned with the documents partition of the same name
  <out>/index/                    signatures of the kept documents: what `--against` reads
  <out>/_SUCCESS                  written last: the documents it decided, params, counts, summary
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
from schemas.outputs import DedupIndexMarker, DedupMarker, DedupSummary
from schemas.refs import DedupPlan, DedupRef, DocumentsRef, PartitionRef
from schemas.tables import DEDUP
from tasks.common import catalog, io
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.dedup import exact, lsh, minhash
from tasks.dedup import summary as dsummary


def plan(run: str, documents: DocumentsRef, params: DedupParams, against: DedupRef | None = None) -> DedupPlan:
    """What to dedup and where; `done` when already committed. `against`: an earlier run's dedup."""
    if against is not None:
        _check_compatible(against, params)
    docs = documents.documents
    # the documents by ingest fingerprint and partition names, not paths: the same corpus gives the same
    # fingerprint in any run directory (what makes manifests byte-identical across runs)
    inputs = [documents.fingerprint, *(f"{p.name}:{p.num_rows}" for p in docs.partitions)]
    fp = params.fingerprint(*inputs, *([against.index.uri] if against else []))
    offsets = tuple(int(x) for x in np.cumsum([0] + [p.num_rows for p in docs.partitions])[:-1])
    p = DedupPlan(**catalog.places(run, "dedup", fp), documents=documents, offsets=offsets, against=against)
    return p.model_copy(update={"done": io.committed(p.out) is not None})


def _check_compatible(against: DedupRef, params: DedupParams) -> None:
    """Raise unless the earlier run's index keys and shingle sets can be compared with this run's."""
    marker = catalog.load(against.index.uri, DedupIndexMarker)
    theirs, ours = marker.minhash.model_dump(), params.minhash.model_dump()
    if theirs != ours:
        diff = ", ".join(f"{k}={theirs.get(k)} there, {v} here" for k, v in ours.items() if theirs.get(k) != v)
        raise InputError(f"--against {against.run}: its dedup used other MinHash parameters ({diff}); rerun one "
                         "of them with the same MinHash parameters")  # fmt: skip
    if params.verify and not marker.verify:
        raise InputError(f"--against {against.run}: its index was written without shingle sets (--no-verify); "
                         "rerun its dedup with verification, or use --no-verify here")  # fmt: skip


def signature_partition(p: DedupPlan, k: int, params: DedupParams) -> PartitionRef:
    """Digests, LSH band keys and shingle hash sets of documents partition k."""
    dst = io.join(p.work, "signatures", f"part-{k:05d}")
    uri = io.join(dst, "signatures.parquet")
    rows = p.documents.documents.partitions[k].num_rows
    if not io.trusted(io.committed(dst), uri):
        io.remove(dst)  # absent, uncommitted or truncated: recompute
        docs = io.read_table(p.documents.documents.partitions[k], ["doc_id", "text"])
        rows = io.write_table(signature_table(docs["doc_id"], docs["text"].to_pylist(), p.offsets[k], params), uri)
        io.commit(dst, {"num_rows": rows})
    ProgressFile(io.join(p.work, "progress", f"{k:05d}.json"), rows, f"part {k}", "docs").update(rows, True)
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


def resolve(p: DedupPlan, signatures: list[PartitionRef], params: DedupParams, seconds: float = 0.0) -> DedupMarker:
    """Decide every document, write the attribute partitions, the index and the summary; commit."""
    if (done := catalog.load(p.out, DedupMarker)) is not None:
        return done
    prior = [io.read_table(r) for r in p.against.index.partitions] if p.against else []
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
    for doc_part, offset in zip(p.documents.documents.partitions, p.offsets, strict=True):
        name = doc_part.name
        rows = io.write_table(attrs.slice(offset, doc_part.num_rows), io.join(p.out, name))
        parts.append({"name": name, "num_rows": rows})
    kept = table.slice(n_prior).filter(pa.array(d["keep"]))
    io.write_table(kept, io.join(p.out, "index", "part-00000.parquet"))
    index = DedupIndexMarker(partitions=[{"name": "part-00000.parquet", "num_rows": kept.num_rows}],
                             minhash=params.minhash, verify=params.verify)  # fmt: skip
    io.commit(io.join(p.out, "index"), index.model_dump())
    report = dsummary.build(p, params, attrs, d, seconds, _versions())
    marker = DedupMarker(
        fingerprint=p.fingerprint,
        partitions=parts,
        summary=report,
        inputs={"ingest": p.documents.fingerprint, "against": p.against.uri if p.against else None},
    )
    io.commit(p.out, marker.model_dump())
    io.remove(p.work)
    return marker


def _versions() -> dict:
    return {"datasketch": importlib.metadata.version("datasketch"), "scheme": "affine32"}


def write_report(summary: DedupSummary, report_uri: str) -> None:
    """summary.json and the cluster-size plot, into the run's report directory."""
    io.write_json(io.join(report_uri, "summary.json"), summary.model_dump(mode="json"))
    io.write_bytes(io.join(report_uri, "dedup.png"), dsummary.figure(summary))
