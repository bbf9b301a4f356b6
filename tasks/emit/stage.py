"""The emit stage: a mixture (and the token ids of the tokens stage it weighs) -> per-skill shards + manifest.json.
No Prefect.

Layout (all under the plan's `out`, the manifest's directory; every path in the manifest is relative to it):
  skill-NNNNN/megatron/part-NNNNN.bin + .idx   Megatron indexed dataset, one sequence per document
  skill-NNNNN/flat/part-NNNNN.bin              headerless token ids
  skill-NNNNN/mds/index.json + shard.NNNNN.mds MosaicML Streaming, fixed-length samples of seq_len tokens
  tokenizer.json, megatron-data-args.txt, manifest.json, _SUCCESS
Each skill's documents are written in input order; a shard holds at most `shard_tokens` tokens (MDS:
64 MiB). The MDS stream concatenates documents and cuts samples of seq_len tokens; the tail shorter
than one sample is not written (the manifest's token counts say what each format holds).
"""

from __future__ import annotations

import importlib.metadata
import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.config import EmitParams
from schemas.manifest import Manifest
from schemas.mixture import MixtureDoc
from schemas.outputs import EmitMarker, EmitSkillMarker, Verified
from schemas.refs import EmitPlan, ManifestRef, MixtureRef, PartitionRef
from tasks.common import catalog, io
from tasks.common.errors import InputError
from tasks.emit import formats
from tasks.emit.verify import VerifyError, check_shard


def plan(run: str, mixture: MixtureRef, params: EmitParams) -> EmitPlan:
    """What to emit: `mixture` and the tokens it weighs, and the output directory; raises on a skill with no
    tokens."""
    doc = catalog.mixture_doc(mixture.mixture_json)
    tokens = catalog.summary(mixture.tokens)
    check_drawable(doc)
    fp = params.fingerprint(tokens.fingerprint, doc.fingerprint)
    p = EmitPlan(**catalog.places(run, "emit", fp), mixture=mixture, doc=doc, tokens=tokens)
    return p.model_copy(update={"done": io.committed(p.out) is not None})


def check_drawable(doc: MixtureDoc) -> None:
    """Raise, naming the skill, when a skill the mixture weighs has no tokens to draw (a selection may drop one)."""
    for s in doc.skills:
        if s.tokens == 0 and not (doc.selection and s.weight == 0):
            raise InputError(f"skill {s.skill} ({s.label}) has no tokens: nothing can be drawn from it; "
                             "lower k, or remove it with --group-by")  # fmt: skip


def emit_skill(p: EmitPlan, skill: int, params: EmitParams) -> list[dict]:
    """Write one skill's shards in every requested format and commit them; their manifest entries (paths
    relative). A skill an interrupted emit committed is read back when every file still checks out; a partial
    or damaged one is written again."""
    dst = io.join(p.out, f"skill-{skill:05d}")
    if (entries := _resumable(p.out, dst, skill)) is not None:
        return entries
    io.remove(dst)
    entries = _write_skill(p, skill, params)
    io.commit(dst, EmitSkillMarker(skill=skill, entries=entries).model_dump())
    return entries


def _resumable(out: str, dst: str, skill: int) -> list[dict] | None:
    marker = catalog.load(dst, EmitSkillMarker)
    if marker is None:
        return None
    entries = [e.model_dump() for e in marker.entries]
    try:
        for e in entries:
            check_shard(out, e, f"skill {skill}")
    except VerifyError:
        return None
    return entries


def _write_skill(p: EmitPlan, skill: int, params: EmitParams) -> list[dict]:
    vocab = p.tokens.tokenizer.vocab_size
    writers = [_Writer(p.out, skill, f, vocab, params) for f in params.formats]
    kept = selected(p)
    for ref in p.mixture.tokens.attributes.partitions:
        if not ref.num_rows:
            continue
        t = io.read_table(ref, ["doc_id", "skill", "ids"] if kept is not None else ["skill", "ids"])
        t = t.filter(pc.equal(t["skill"], skill))
        if kept is not None:
            t = t.filter(pc.is_in(t["doc_id"], value_set=kept))
        if not t.num_rows:
            continue
        arr = t["ids"].combine_chunks()
        values, offsets = arr.values.to_numpy(zero_copy_only=False), arr.offsets.to_numpy()
        docs = [values[a:b] for a, b in itertools.pairwise(offsets)]
        for w in writers:
            w.add(docs)
    return [entry for w in writers for entry in w.close()]


def selected(p: EmitPlan) -> pa.Array | None:
    """The doc_ids a DsDm selection kept (the mixture's selection.parquet), or None: every document."""
    if p.doc.selection is None or p.mixture.selection is None:
        return None
    ref = PartitionRef(uri=p.mixture.selection, num_rows=p.doc.selection.documents, table="selection")
    return io.read_table(ref, ["doc_id"])["doc_id"].combine_chunks()


def emitted(doc: MixtureDoc) -> list[int]:
    """The skills that get shards: those with tokens (a global selection may keep none of a skill) and weight (a
    skill pruned for its quality has none)."""
    pruned = set(doc.pruned.skills) if doc.pruned else set()
    return [s.skill for s in doc.skills if s.tokens > 0 and s.skill not in pruned]


class _Writer:
    """Shards of one skill in one format, flushed at `shard_tokens` (MDS: at its size limit)."""

    def __init__(self, out: str, skill: int, fmt: str, vocab: int, params: EmitParams):
        self.out, self.fmt, self.params = out, fmt, params
        self.rel = f"skill-{skill:05d}/{fmt}"
        self.dtype = formats.megatron_dtype(vocab) if fmt == "megatron" else formats.flat_dtype(vocab)
        self.docs: list[np.ndarray] = []
        self.tokens = 0
        self.entries: list[dict] = []
        self.tail = np.empty(0, np.int64)  # MDS: tokens not yet in a full sample
        self.samples: list[np.ndarray] = []
        self.mds_docs = 0
        self.index: list[dict] = []

    def add(self, docs: list[np.ndarray]) -> None:
        for d in docs:
            if self.fmt == "mds":
                self._add_mds(d)
                continue
            self.docs.append(d)
            self.tokens += len(d)
            if self.tokens >= self.params.shard_tokens:
                self._flush()

    def _add_mds(self, d: np.ndarray) -> None:
        self.mds_docs += 1
        stream = np.concatenate([self.tail, d.astype(np.int64)])
        n = len(stream) // self.params.seq_len
        if n:
            self.samples.append(stream[: n * self.params.seq_len].reshape(n, self.params.seq_len))
        self.tail = stream[n * self.params.seq_len :]
        per_shard = max(1, formats.MDS_SIZE_LIMIT // (self.dtype.itemsize * self.params.seq_len))
        if sum(len(s) for s in self.samples) >= per_shard:
            self._flush_mds(per_shard)

    def _flush(self) -> None:
        if not self.docs:
            return
        name = f"part-{len(self.entries):05d}"
        lengths = np.array([len(d) for d in self.docs], np.int64)
        files = {}
        if self.fmt == "megatron":
            files[f"{name}.bin"] = formats.megatron_bin(self.docs, self.dtype)
            files[f"{name}.idx"] = formats.megatron_idx(lengths, self.dtype)
            path = f"{self.rel}/{name}"
        else:
            files[f"{name}.bin"] = np.concatenate(self.docs).astype(self.dtype).tobytes()
            path = f"{self.rel}/{name}.bin"
        for fname, data in files.items():
            io.write_bytes(io.join(self.out, self.rel, fname), data)
        self.entries.append({"path": path, "format": self.fmt, "dtype": self.dtype.name, "documents": len(self.docs),
                             "tokens": int(lengths.sum()), "samples": None,
                             "sha256": {f: formats.sha256(d) for f, d in files.items()}})  # fmt: skip
        self.docs, self.tokens = [], 0

    def _flush_mds(self, limit: int | None = None) -> None:
        if not self.samples:
            return
        allrows = np.concatenate(self.samples)
        take = allrows if limit is None else allrows[:limit]
        rest = allrows[len(take) :]
        name = f"shard.{len(self.index):05d}.mds"
        data = formats.mds_shard(take, self.dtype)
        io.write_bytes(io.join(self.out, self.rel, name), data)
        self.index.append(formats.mds_index_entry(name, data, len(take), self.dtype, self.params.seq_len))
        self.entries.append({"path": f"{self.rel}/{name}", "format": "mds", "dtype": self.dtype.name,
                             "documents": self.mds_docs, "tokens": int(take.size), "samples": len(take),
                             "sha256": {name: formats.sha256(data)}})  # fmt: skip
        self.mds_docs = 0
        self.samples = [rest] if len(rest) else []

    def close(self) -> list[dict]:
        if self.fmt == "mds":
            self._flush_mds()
            data = io.json_bytes({"shards": self.index, "version": 2})
            io.write_bytes(io.join(self.out, self.rel, "index.json"), data)
            if self.entries:  # the index travels with the stream's first shard
                self.entries[0]["sha256"]["index.json"] = formats.sha256(data)
        else:
            self._flush()
        return self.entries


def manifest(p: EmitPlan, entries: list[list[dict]], params: EmitParams) -> Manifest:
    """Assemble, validate and write manifest.json (+ the tokenizer and the Megatron data-args file); commit."""
    t, mixture = p.tokens, p.doc
    available = np.array([s.tokens for s in mixture.skills], np.int64)
    weights = np.array(mixture.weights, np.float64)
    budget = params.token_budget or int(available.sum())
    draw = np.round(weights * budget).astype(np.int64)
    io.write_bytes(io.join(p.out, "tokenizer.json"), io.read_bytes(p.mixture.tokens.tokenizer))
    skills, blend = [], []
    for i, shards in zip(emitted(mixture), entries, strict=True):
        s = mixture.skills[i]
        skills.append({"skill": i, "label": s.label, "weight": float(weights[i]), "documents": s.documents,
                       "tokens_available": int(available[i]), "tokens_to_draw": int(draw[i]),
                       "repeat_factor": round(float(draw[i] / available[i]), 6), "shards": shards})  # fmt: skip
        megatron = [x for x in shards if x["format"] == "megatron"]
        total = sum(x["tokens"] for x in megatron)
        blend += [(round(float(weights[i]) * x["tokens"] / total, 8), x["path"]) for x in megatron]
    args_file = None
    if "megatron" in params.formats:
        args_file = "megatron-data-args.txt"
        io.write_bytes(io.join(p.out, args_file), (" ".join(f"{w} {path}" for w, path in blend) + "\n").encode())
    # Stream(**entry) takes one of proportion / repeat / choose; the repeat factors are in `skills`
    streams = [{"local": f"skill-{s['skill']:05d}/mds", "proportion": s["weight"]}
               for s in skills] if "mds" in params.formats else []  # fmt: skip
    tok = t.tokenizer
    doc = {"version": 1, "seq_len": params.seq_len, "token_budget": budget, "seed": params.seed,
           "formats": list(params.formats),
           "tokenizer": {"source": tok.source, "path": "tokenizer.json", "vocab_size": tok.vocab_size,
                         "eos_token": tok.eos_token, "eos_id": tok.eos_id, "sha256": tok.sha256},
           "mixture": {"method": mixture.method, "params": mixture.params.model_dump(mode="json"),
                       "fingerprint": mixture.fingerprint},
           "skills": skills,
           "trainer_inputs": {"megatron_data_args": args_file, "megatron_blend": blend, "mds_streams": streams,
                              "mds_epoch_size": budget // params.seq_len if streams else None,
                              "litdata_weights": [s["weight"] for s in skills]},
           "lineage": lineage(p, params)}  # fmt: skip
    m = Manifest.model_validate(doc)
    io.write_json(io.join(p.out, "manifest.json"), doc)
    marker = EmitMarker(fingerprint=p.fingerprint, inputs={"mix": p.mixture.fingerprint, "tokens": t.fingerprint},
                        skills=len(skills), token_budget=budget)  # fmt: skip
    io.commit(p.out, marker.model_dump())
    return m


def lineage(p: EmitPlan, params: EmitParams) -> dict:
    """The chain of refs this emit consumed: the ingest and dedup under the mixture's tokens, the mixture's
    provenance, the tokens stage, this emit; and the packages that wrote it."""
    quality = p.mixture.tokens.skills.quality
    return {
        "input": {
            "ingest": quality.documents.fingerprint,
            "dedup": quality.dedup.fingerprint,
            "quality": quality.fingerprint,
        },
        "emit": {"fingerprint": p.fingerprint, "params": params.model_dump()},
        "mixture": p.doc.provenance.model_dump(mode="json") | {"fingerprint": p.doc.fingerprint},
        "tokens": {"fingerprint": p.tokens.fingerprint, "params": p.tokens.params.model_dump(mode="json")},
        "packages": {k: importlib.metadata.version(k) for k in ("skillmix", "tokenizers", "numpy", "pyarrow")},
    }


def ref(p: EmitPlan) -> ManifestRef:
    return catalog.ref(p.run, "emit", p.fingerprint)


def record_verified(v: Verified, run: str) -> None:
    """Keep what verifying a manifest found (report/emit/verified.json), for the run report's budget section."""
    io.write_json(io.join(catalog.report(run, "emit"), "verified.json"), v.model_dump(mode="json"))
