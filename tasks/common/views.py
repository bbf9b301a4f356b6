"""Read views over the documents and the attribute tables beside them: the kept documents (dedup's `keep`, minus
SemDeDup's duplicates) and embedding matrices. Nothing is copied or rewritten; every stage that reads kept
documents reads them through here, from the partitions its refs name.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.refs import DatasetRef, PartitionRef
from tasks.common import io
from tasks.common.errors import InputError


def kept(doc_part: PartitionRef, keep_part: PartitionRef, columns: list[str] | None = None) -> pa.Table:
    """The rows kept of one documents partition: `keep` of its dedup or quality partition (rows align by position;
    quality's keep is dedup's and the quality rules')."""
    keep = io.read_table(keep_part, ["doc_id", "keep"])
    docs = io.read_table(doc_part, columns if columns is None or "doc_id" in columns else ["doc_id", *columns])
    if not docs["doc_id"].equals(keep["doc_id"]):
        raise InputError(f"{keep_part.uri} does not align with {doc_part.uri}; rerun `skillmix {keep_part.table}`")
    return docs.filter(keep["keep"])


def kept_with_skill(doc_part: PartitionRef, keep_part: PartitionRef, skills_part: PartitionRef,
                    columns: list[str]) -> pa.Table:  # fmt: skip
    """`columns` and `skill` of one documents partition's kept documents: kept by dedup and not a semantic
    duplicate. The skills partition's rows are the quality stage's kept rows, in order."""
    docs = kept(doc_part, keep_part, ["doc_id", *[c for c in columns if c != "doc_id"]])
    skills = (io.read_table(skills_part, ["doc_id", "skill", "semantic_dup_of"]) if skills_part.num_rows
              else pa.table({"doc_id": pa.array([], pa.string()), "skill": pa.array([], pa.int32()),
                             "semantic_dup_of": pa.array([], pa.string())}))  # fmt: skip
    if not docs["doc_id"].equals(skills["doc_id"]):
        raise InputError(f"{skills_part.uri} does not align with {doc_part.uri}; rerun `skillmix skills`")
    return docs.append_column("skill", skills["skill"]).filter(pc.is_null(skills["semantic_dup_of"]))


def skill_quality(skills_parts: tuple[PartitionRef, ...], quality_parts: tuple[PartitionRef, ...],
                  columns: list[str]) -> tuple[np.ndarray, pa.Table]:  # fmt: skip
    """(skill, `columns` of the quality attributes) of every document the skills stage placed, in order (the skills
    partitions' rows are the quality stage's kept rows)."""
    skill, tables = [], []
    for s, q in zip(skills_parts, quality_parts, strict=True):
        if s.num_rows:
            t = io.read_table(q, ["keep", *columns])
            tables.append(t.filter(t["keep"]).select(columns))
            skill.append(io.read_table(s, ["skill"])["skill"].to_numpy())
    if not tables:
        return np.zeros(0, np.int32), pa.table({c: pa.array([], pa.float64()) for c in columns})
    return np.concatenate(skill), pa.concat_tables(tables)


def matrix(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A list<float32> column of equal-length vectors as an (n, dim) float32 array."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(arr) == 0:
        return np.zeros((0, 1), np.float32)
    values = pc.list_flatten(arr).to_numpy(zero_copy_only=False)
    return values.astype(np.float32, copy=False).reshape(len(arr), -1)


def embeddings(ref: PartitionRef) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(doc_id, embeddings (n, dim) float32, word pieces (n,)) of one embeddings partition."""
    if ref.num_rows == 0:  # nothing kept in that partition: no file
        return pa.array([], pa.string()), np.zeros((0, 1), np.float32), np.zeros(0, np.int32)
    t = io.read_table(ref, ["doc_id", "embedding", "tokens"])
    return t["doc_id"].combine_chunks(), matrix(t["embedding"]), t["tokens"].to_numpy()


def embedding_rows(refs: list[PartitionRef] | tuple[PartitionRef, ...], positions: np.ndarray) -> np.ndarray:
    """Embeddings of the documents at sorted global `positions` (kept-document order), a partition at a time."""
    offsets = np.concatenate([[0], np.cumsum([r.num_rows for r in refs])]).astype(np.int64)
    out = []
    for i, ref in enumerate(refs):
        local = positions[(positions >= offsets[i]) & (positions < offsets[i + 1])] - offsets[i]
        if local.size:
            out.append(embeddings(ref)[1][local])
    return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def scores(dataset: DatasetRef) -> tuple[list[str], dict[str, np.ndarray]]:
    """(doc_ids, {target: score per document in that order}) of an attribution's scores (ATTRIBUTION rows)."""
    t = pa.concat_tables([io.read_table(p) for p in dataset.partitions if p.num_rows])
    target = t["target"].to_numpy(zero_copy_only=False)
    names = list(dict.fromkeys(target.tolist()))
    ids = np.asarray(t["doc_id"].to_pylist(), object)
    score = t["score"].to_numpy()
    doc_ids = ids[target == names[0]].tolist()
    out = {}
    for n in names:
        rows = target == n
        if ids[rows].tolist() != doc_ids:
            raise InputError(f"{dataset.uri}: target {n!r} scores other documents than {names[0]!r}")
        out[n] = score[rows]
    return doc_ids, out
