"""The tokens stage's steps over files: plan, tokenizer, token ids per partition, per-skill statistics. No Prefect.

Layout (the plan's directories, from the run catalog):
  <tokenizer>                      tokenizer.json (trained or the user's), + _SUCCESS beside it (sha256)
  <out>/part-NNNNN/tokens.parquet  TOKENS of the kept documents of documents partition NNNNN
  <out>/part-NNNNN/stats.npz       their per-skill unigram and bigram counts
  <out>/_SUCCESS                   written last: the skills it read, tokenizer, per-skill tokens and entropies
Kept documents are those dedup kept that are not semantic duplicates (skills). Token ids are stored
once here; `emit` packs them into shards without tokenizing again.
"""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pyarrow as pa

from schemas.config import TokensParams
from schemas.outputs import TokenizerMeta, TokensMarker, TokensPartMarker, TokensSummary
from schemas.refs import PartitionRef, SkillsRef, TokensPlan
from tasks.common import catalog, io, views
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.skills import cluster
from tasks.tokens import bpe, stats


def plan(run: str, skills: SkillsRef, params: TokensParams) -> TokensPlan:
    """The kept documents with their `skills`, and where tokens go."""
    docs = skills.quality.documents.documents
    if [p.name for p in skills.attributes.partitions] != [p.name for p in docs.partitions]:
        raise InputError(f"{skills.uri} was computed for other documents than {docs.uri}; rerun `skillmix skills`")
    user_sha = None
    if params.tokenizer:
        user_sha = bpe.sha256(bpe.to_str(bpe.load(params.tokenizer, params.eos_token)))
    fp = params.fingerprint(skills.fingerprint, user_sha or "")
    p = TokensPlan(**catalog.places(run, "tokens", fp), skills=skills, tokenizer=catalog.tokenizer(run, fp),
                   tokenizer_sha256=user_sha)  # fmt: skip
    return p.model_copy(update={"done": io.committed(p.out) is not None})


def _kept(p: TokensPlan, k: int, columns: list[str]) -> pa.Table:
    s = p.skills
    return views.kept_with_skill(p.documents.partitions[k], s.quality.attributes.partitions[k],
                                 s.attributes.partitions[k], columns)  # fmt: skip


def _tokenizer_dir(p: TokensPlan) -> str:
    return p.tokenizer.rsplit("/", 1)[0]


def tokenizer(p: TokensPlan, params: TokensParams) -> TokenizerMeta:
    """Train (on a seeded sample of kept documents) or load the tokenizer, save it with its sha256; the marker."""
    if (done := catalog.load(_tokenizer_dir(p), TokenizerMeta)) is not None:
        return done
    if params.tokenizer:
        tok, source = bpe.load(params.tokenizer, params.eos_token), params.tokenizer
    else:
        sizes = [part.num_rows for part in p.skills.attributes.partitions]  # an upper bound (before SemDeDup)
        texts = _sample_texts(p, sizes, params)
        tok, source = bpe.train(texts, params.vocab_size, params.eos_token), f"trained BPE on {len(texts):,} documents"
    text = bpe.to_str(tok)
    io.write_bytes(p.tokenizer, text.encode())
    marker = TokenizerMeta(sha256=bpe.sha256(text), vocab_size=tok.get_vocab_size(), eos_token=params.eos_token,
                           eos_id=bpe.eos_id(tok, params.eos_token), source=source,
                           tokenizers=importlib.metadata.version("tokenizers"))  # fmt: skip
    io.commit(_tokenizer_dir(p), marker.model_dump())
    return marker


def _sample_texts(p: TokensPlan, sizes: list[int], params: TokensParams) -> list[str]:
    positions = cluster.sample(sum(sizes), params.train_docs, params.seed)
    texts, lo = [], 0
    for k, n in enumerate(sizes):
        local = positions[(positions >= lo) & (positions < lo + n)] - lo
        lo += n
        if local.size:
            kept = views.kept(p.documents.partitions[k], p.skills.quality.attributes.partitions[k], ["text"])
            texts += kept["text"].take(pa.array(local)).to_pylist()
    if not texts:
        raise InputError(f"{p.run}: no kept documents to train a tokenizer on")
    return texts


def load_tokenizer(p: TokensPlan) -> tuple[object, TokenizerMeta]:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(io.read_bytes(p.tokenizer).decode()), catalog.load(_tokenizer_dir(p), TokenizerMeta)


def tokenize_partition(p: TokensPlan, k: int, params: TokensParams) -> PartitionRef:
    """Token ids (EOS appended) of partition k's kept documents, and their per-skill statistics."""
    dst = io.join(p.out, f"part-{k:05d}")
    uri = io.join(dst, "tokens.parquet")
    marker = io.committed(dst)
    if not io.trusted(marker, uri):
        io.remove(dst)
        tok, meta = load_tokenizer(p)
        kept = _kept(p, k, ["doc_id", "text"])
        texts = kept["text"].to_pylist()
        progress = ProgressFile(io.join(p.work, "progress", f"{k:05d}.json"), len(texts), f"part {k}", "docs")
        ids: list[np.ndarray] = []
        for lo in range(0, len(texts), 1024):
            ids += bpe.encode(texts[lo : lo + 1024], tok, meta.eos_id)
            progress.update(len(ids))
        skills = kept["skill"].to_numpy()
        table = pa.table({"doc_id": kept["doc_id"], "skill": kept["skill"],
                          "n_tokens": pa.array([len(a) for a in ids], pa.int32()),
                          "ids": _lists(ids)})  # fmt: skip
        io.write_arrays(io.join(dst, "stats.npz"), **_skill_stats(ids, skills, p.skills.k, meta.vocab_size, params))
        rows = io.write_table(table, uri)
        marker = TokensPartMarker(num_rows=rows, tokens=int(sum(len(a) for a in ids))).model_dump()
        io.commit(dst, marker)
    return PartitionRef(uri=uri, num_rows=marker["num_rows"], table="tokens")


def _lists(ids: list[np.ndarray]) -> pa.Array:
    offsets = np.concatenate([[0], np.cumsum([len(a) for a in ids])]).astype(np.int64)
    values = np.concatenate(ids) if ids else np.empty(0, np.uint32)
    return pa.LargeListArray.from_arrays(offsets, pa.array(values, pa.uint32())).cast(pa.list_(pa.uint32()))


def _skill_stats(ids: list[np.ndarray], skills: np.ndarray, k: int, vocab: int, params: TokensParams) -> dict:
    """Arrays for stats.npz: uni (k, vocab); bi_skill, bi_code, bi_count (one row per skill and bigram)."""
    uni = np.zeros((k, vocab), np.int64)
    rows = []
    for s in range(k):
        u, codes, counts = stats.count([ids[i] for i in np.flatnonzero(skills == s)], vocab, params.seq_len)
        uni[s] = u
        rows.append((np.full(len(codes), s, np.int32), codes, counts))
    return {
        "uni": uni,
        "bi_skill": np.concatenate([r[0] for r in rows]),
        "bi_code": np.concatenate([r[1] for r in rows]),
        "bi_count": np.concatenate([r[2] for r in rows]),
    }


def resolve(p: TokensPlan, refs: list[PartitionRef], params: TokensParams, seconds: float = 0.0) -> TokensMarker:
    """Sum the per-partition statistics into per-skill tokens, documents and entropies; commit."""
    if (done := catalog.load(p.out, TokensMarker)) is not None:
        return done
    _, meta = load_tokenizer(p)
    k = p.skills.k
    per_part = [io.read_arrays(io.join(p.out, f"part-{i:05d}", "stats.npz")) for i in range(len(refs))]
    docs = np.zeros(k, np.int64)
    for ref in refs:
        if ref.num_rows:
            docs += np.bincount(io.read_table(ref, ["skill"])["skill"].to_numpy(), minlength=k)
    skills = []
    for s in range(k):
        parts = [(d["uni"][s], d["bi_code"][d["bi_skill"] == s], d["bi_count"][d["bi_skill"] == s]) for d in per_part]
        uni, bi, counts = stats.merge(parts)
        skills.append({"skill": s, "documents": int(docs[s]), "tokens": int(uni.sum()),
                       **stats.entropies(uni, bi, counts, meta.vocab_size)})  # fmt: skip
    summary = TokensSummary.model_validate({
        "run": p.run, "fingerprint": p.fingerprint, "params": params,
        "tokenizer": {**meta.model_dump(), "path": p.tokenizer}, "skills_fingerprint": p.skills.fingerprint,
        "documents": int(docs.sum()), "tokens": int(sum(s["tokens"] for s in skills)), "skills": skills,
        "seconds": round(seconds, 2), "counts_add_up": int(docs.sum()) == sum(r.num_rows for r in refs),
        "attributes": p.out})  # fmt: skip
    parts = [{"name": f"part-{i:05d}/tokens.parquet", "num_rows": r.num_rows} for i, r in enumerate(refs)]
    marker = TokensMarker(fingerprint=p.fingerprint, inputs={"skills": p.skills.fingerprint}, partitions=parts,
                          summary=summary)  # fmt: skip
    io.commit(p.out, marker.model_dump())
    io.remove(p.work)
    return marker


def write_report(summary: TokensSummary, report_uri: str) -> None:
    io.write_json(io.join(report_uri, "summary.json"), summary.model_dump(mode="json"))
