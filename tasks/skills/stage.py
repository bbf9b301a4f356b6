"""The skills stage's steps over files: plan, embed per partition, cluster run-wide. No Prefect.

Layout (the plan's directories, from the run catalog):
  <embeddings>/part-NNNNN/       EMBEDDINGS of one partition's kept documents, own _SUCCESS
  <out>/part-NNNNN.parquet       SKILLS rows, kept documents of documents partition NNNNN
  <out>/skills.json              labels, sizes, examples, centroids
  <out>/_SUCCESS                 written last: the quality stage it read, params, counts, summary
The embeddings' fingerprint covers the embedding params and the model's files; `fp` also covers the skills
params and the kept documents. Embeddings are reused by (doc_id, text digest) from every committed partition
under the plan's `embeddings_root`, so a grown corpus (a new ingest and dedup in the same run) embeds only
documents not seen before, and a new k or SemDeDup threshold embeds nothing.
"""

from __future__ import annotations

import importlib.metadata
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.config import EmbedParams, SkillsParams
from schemas.outputs import EmbeddingsPartMarker, QualityMarker, SkillsDoc, SkillsMarker, SkillsSummary
from schemas.refs import PartitionRef, QualityRef, SkillsPlan
from schemas.tables import EMBEDDINGS, SKILLS
from tasks.common import catalog, io, views
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.common.text import excerpt
from tasks.dedup import exact
from tasks.skills import backends, cluster, encoder, formats, lexical
from tasks.skills import summary as ssummary

LABEL_SAMPLE = 20_000  # documents whose text labels the skills (c-TF-IDF) and gives the examples
MAP_POINTS = 3_000  # documents drawn on the 2-D map
DOC_COLUMNS = ("source", "file")  # documents columns --group-by and the label field may name; else a meta key


def plan(run: str, quality: QualityRef, embed: EmbedParams, params: SkillsParams) -> SkillsPlan:
    """The documents dedup and the quality rules kept, and where their embeddings and skills go."""
    docs, attrs = quality.documents.documents, quality.attributes
    if [p.name for p in docs.partitions] != [p.name for p in attrs.partitions]:
        raise InputError(f"{attrs.uri} was computed for other documents than {docs.uri}; rerun `skillmix quality`")
    model_id = encoder.identity(embed.model)  # a missing model fails here, before any work
    if embed.backend != "torch":
        backends.require(embed.backend)  # a missing package is named here, before any work
    efp = embed.fingerprint(model_id)
    fp = params.fingerprint(efp, quality.fingerprint)
    p = SkillsPlan(**catalog.places(run, "skills", fp), quality=quality, model_id=model_id, embed_fingerprint=efp,
                   embeddings=catalog.embeddings(run, efp, quality.fingerprint),
                   embeddings_root=catalog.embeddings_root(run, efp))  # fmt: skip
    p = p.model_copy(update={"done": io.committed(p.out) is not None})
    if embed.backend != "torch" and not p.done and not _all_embedded(p):  # once, here, not in every task
        path, made = backends.ensure_export(encoder.model_path(embed.model), embed.backend, embed.precision)
        p = p.model_copy(update={"export": str(path), "exported_now": made})
    return p


def _all_embedded(p: SkillsPlan) -> bool:
    """Whether every partition's embeddings are committed (then nothing needs the exported model)."""
    return all(io.committed(io.join(p.embeddings, f"part-{k:05d}")) is not None
               for k in range(len(p.documents.partitions)))  # fmt: skip


def embed_partition(p: SkillsPlan, k: int, embed: EmbedParams) -> PartitionRef:
    """Embeddings of the kept documents of documents partition k: reused where already made, else encoded."""
    dst = io.join(p.embeddings, f"part-{k:05d}")
    uri = io.join(dst, "embeddings.parquet")
    marker = io.committed(dst)
    if io.trusted(marker, uri):  # made by an earlier call: nothing embedded now
        work = {"embedded": 0, "reused": marker["num_rows"]}
    else:
        io.remove(dst)
        kept = views.kept(p.documents.partitions[k], p.quality.attributes.partitions[k], ["doc_id", "text"])
        table, reused = _embeddings(p, k, kept, embed)
        rows = io.write_table(table, uri)
        marker = work = EmbeddingsPartMarker(num_rows=rows, reused=reused, embedded=rows - reused).model_dump()
        io.commit(dst, marker)
    io.write_json(io.join(p.work, "embedded", f"part-{k:05d}.json"), work)  # what this run did
    ProgressFile(_progress_uri(p, k), marker["num_rows"], f"part {k}", "docs").update(marker["num_rows"], True)
    return PartitionRef(uri=uri, num_rows=marker["num_rows"], table="embeddings")


def _progress_uri(p: SkillsPlan, k: int) -> str:
    return io.join(p.work, "progress", f"{k:05d}.json")


def _embeddings(p: SkillsPlan, k: int, kept: pa.Table, embed: EmbedParams) -> tuple[pa.Table, int]:
    """EMBEDDINGS rows for `kept`, in its order, and how many were reused from earlier partitions."""
    texts = kept["text"].to_pylist()
    digests = exact.digests(texts)
    keys = _keys(kept["doc_id"], digests)
    found = _reusable(p, keys)
    at = pc.fill_null(pc.index_in(keys, value_set=found["key"]), -1).to_numpy(zero_copy_only=False)
    hit, todo = np.flatnonzero(at >= 0), np.flatnonzero(at < 0)
    vectors: np.ndarray | None = None
    tokens = np.zeros(len(texts), np.int32)
    if hit.size:
        old_vectors, old_tokens = views.matrix(found["embedding"]), found["tokens"].to_numpy()
        vectors = np.zeros((len(texts), old_vectors.shape[1]), np.float32)
        vectors[hit], tokens[hit] = old_vectors[at[hit]], old_tokens[at[hit]]
    if todo.size:
        progress = ProgressFile(_progress_uri(p, k), len(texts), f"part {k}", "docs")
        threads = _threads(len(p.documents.partitions))
        encoder.use_threads(threads)
        model = encoder.load(embed.model, embed.device, embed.backend, embed.precision, threads)
        new, new_tokens = encoder.encode([texts[i] for i in todo], model, embed.batch_size, embed.chunk,
                                         embed.precision, embed.max_seq_length,
                                         on_progress=lambda n: progress.update(hit.size + n),
                                         pooling=embed.pooling, max_chunks=embed.max_chunks)  # fmt: skip
        if vectors is None:
            vectors = np.zeros((len(texts), new.shape[1]), np.float32)
        vectors[todo], tokens[todo] = new, new_tokens
    table = pa.table({"doc_id": kept["doc_id"], "digest": digests,
                      "embedding": _lists(vectors if vectors is not None else np.zeros((0, 1), np.float32)),
                      "tokens": pa.array(tokens, pa.int32())}, schema=EMBEDDINGS)  # fmt: skip
    return table, int(hit.size)


def _threads(partitions: int) -> int:
    """Torch threads for one embedding task: the machine's cores shared by the partitions that can run at once
    (a Dask worker process starts with OMP_NUM_THREADS=1, which would leave cores idle with one partition)."""
    cores = os.cpu_count() or 1
    return max(1, cores // max(1, min(partitions, cores)))


def _keys(doc_ids: pa.ChunkedArray | pa.Array, digests: pa.ChunkedArray | pa.Array) -> pa.Array:
    """doc_id and text digest in one binary key: a reused embedding must be of the same text."""
    joined = pc.binary_join_element_wise(pc.cast(doc_ids, pa.binary()), pc.cast(digests, pa.binary()), b"\x00")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _reusable(p: SkillsPlan, keys: pa.Array) -> pa.Table:
    """Rows (key, embedding, tokens) of this model's committed embeddings elsewhere in the run whose
    (doc_id, digest) key is in `keys`, one row per key."""
    found = [pa.table({"key": pa.array([], pa.binary()), "embedding": pa.array([], pa.list_(pa.float32())),
                       "tokens": pa.array([], pa.int32())})]  # fmt: skip
    own = p.embeddings.rstrip("/") + "/"
    for marker_uri in io.glob(io.join(p.embeddings_root, "*", "part-*", io.MARKER)):
        part_dir = marker_uri.rsplit("/", 1)[0]
        uri = io.join(part_dir, "embeddings.parquet")
        marker = io.read_json(marker_uri)
        if part_dir.startswith(own) or not marker["num_rows"] or not io.trusted(marker, uri):
            continue
        t = io.read_table(PartitionRef(uri=uri, num_rows=marker["num_rows"], table="embeddings"))
        t_keys = _keys(t["doc_id"], t["digest"])
        t = pa.table({"key": t_keys, "embedding": t["embedding"], "tokens": t["tokens"]})
        found.append(t.filter(pc.is_in(t_keys, value_set=keys)))
    table = pa.concat_tables(found)
    _, first = np.unique(table["key"].to_numpy(zero_copy_only=False), return_index=True)
    return table.take(pa.array(np.sort(first)))  # a document embedded for two earlier dedups: once


def _lists(x: np.ndarray) -> pa.Array:
    n, dim = x.shape
    offsets = pa.array(np.arange(0, (n + 1) * dim, dim, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(x.ravel(), pa.float32()))


def resolve(p: SkillsPlan, refs: list[PartitionRef], embed: EmbedParams, params: SkillsParams,
            seconds: float = 0.0) -> SkillsMarker:  # fmt: skip
    """Skills for every kept document, SemDeDup, labels and examples, the report's data; commit."""
    if (done := catalog.load(p.out, SkillsMarker)) is not None:
        return done
    n = sum(r.num_rows for r in refs)
    if n < 2:
        raise InputError(f"{p.run}: {n} kept documents; skills need at least 2")
    offsets = np.concatenate([[0], np.cumsum([r.num_rows for r in refs])]).astype(np.int64)
    k_scores: dict[int, float] = {}
    fine: dict | None = None
    if params.group_by:
        skills, names = cluster.groups(_field(p, params.group_by, required=True))
    else:
        skills, k_scores, fine = _cluster(p, refs, n, params)
        names = []
    centroids = _group_sums(refs, skills, int(skills.max()) + 1 if not names else len(names)).astype(np.float32)
    unit = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    ids, skills, distance, tokens = _assign(refs, unit, skills)
    dup_of = _semdedup(p, refs, skills, len(unit), params.semdedup_eps) if params.semdedup_eps else None
    parts = _write_skills(p, ids, skills, distance, dup_of, offsets)
    terms, examples = _describe(p, n, skills, distance, params)
    names = names or [ssummary.label(terms.get(i, []), f"skill {i}") for i in range(len(unit))]
    sizes_by_skill = np.bincount(skills, minlength=len(unit))
    entries = ssummary.skill_entries(names, terms, sizes_by_skill, np.bincount(skills, tokens, len(unit)),
                                     examples, unit)  # fmt: skip
    doc = SkillsDoc(fingerprint=p.fingerprint, skills=entries, **(fine or {}))
    io.write_json(io.join(p.out, "skills.json"), doc.model_dump(exclude_none=True))
    map_idx = cluster.sample(n, MAP_POINTS, params.seed)
    xy = cluster.project_2d(views.embedding_rows(refs, map_idx), params.seed)
    max_seq = embed.max_seq_length or encoder.default_max_seq_length(embed.model)
    dedup_kept = catalog.load(p.quality.uri, QualityMarker).summary.kept
    report = ssummary.build(p, embed, params, refs=_embed_work(p, refs), skills=entries,
                            rows_written=sum(part["num_rows"] for part in parts), dedup_kept=dedup_kept,
                            k_scores=k_scores, fine_k=len(fine["fine"]) if fine else None,
                            semdedup_dropped=int((dup_of >= 0).sum()) if dup_of is not None else 0,
                            truncated=float((tokens > _seen(embed, max_seq)).mean()), max_seq_length=max_seq,
                            agreement=_agreement(p, skills, params), seconds=seconds, versions=_versions())  # fmt: skip
    io.write_arrays(io.join(p.out, "map.npz"), xy=xy, skill=skills[map_idx])
    embedded = [{"name": f"{r.uri.rstrip('/').rsplit('/', 2)[-2]}/embeddings.parquet", "num_rows": r.num_rows}
                for r in refs]  # fmt: skip
    marker = SkillsMarker(fingerprint=p.fingerprint, inputs={"quality": p.quality.fingerprint}, partitions=parts,
                          embeddings=embedded, summary=report)  # fmt: skip
    io.commit(p.out, marker.model_dump())
    io.remove(p.work)
    return marker


def _cluster(p: SkillsPlan, refs: list[PartitionRef], n: int,
             params: SkillsParams) -> tuple[np.ndarray, dict[int, float], dict | None]:  # fmt: skip
    """(skill of every kept document, k's scores, skills.json's fine clusters and merge tree or None).

    Centroids are fit on a uniform sample of the vectors (embeddings, plus the weighted lexical vectors and
    format statistics when their weights are > 0); every document then goes to its nearest centroid.
    Method merge: many fine clusters, merged by size-weighted Ward, cut at k (given, or where the merge
    heights jump most)."""
    pos = cluster.sample(n, params.max_fit, params.seed)
    extra = _extra_columns(p, params, pos)
    xs = views.embedding_rows(refs, pos)
    xs = np.hstack([xs, extra[pos]]) if extra is not None else xs
    if params.method == "kmeans":
        k, scores = (params.k, {}) if params.k else cluster.choose_k(xs, params.seed, params.k_candidates)
        return _nearest(refs, cluster.fit(xs, k, params.seed), extra), scores, None
    m = params.fine_k or cluster.fine_k(n, params.k or max(params.k_candidates))
    if params.k is not None and params.k >= m:
        raise InputError(f"{n:,} documents make {m} fine clusters, too few to merge into {params.k} skills: "
                         "lower --k or raise --fine-k")  # fmt: skip
    fine_of = _nearest(refs, cluster.fit(xs, m, params.seed), extra)
    sizes = np.bincount(fine_of, minlength=m)
    means = _group_sums(refs, fine_of, m, extra) / np.maximum(sizes, 1)[:, None]
    tree = cluster.merge(means, sizes)
    k, scores = (params.k, {}) if params.k else cluster.choose_k_gap(tree, params.k_candidates)
    parent = cluster.cut(tree, m, k)
    fine = [{"id": i, "documents": int(sizes[i]), "skill": int(parent[i])} for i in range(m)]
    return parent[fine_of], scores, {"fine": fine, "tree": [[round(float(v), 6) for v in row] for row in tree]}


def _vectors(refs: list[PartitionRef], extra: np.ndarray | None = None):
    """(first row's position, vectors) of each embeddings partition: its embeddings, with their `extra` columns
    appended when given."""
    lo = 0
    for ref in refs:
        x = views.embeddings(ref)[1]
        yield lo, (np.hstack([x, extra[lo : lo + len(x)]]) if extra is not None else x)
        lo += len(x)


def _nearest(refs: list[PartitionRef], centroids: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
    """(n,) int32: every kept document's nearest centroid, partition by partition."""
    return np.concatenate([cluster.assign(x, centroids) if len(x) else np.empty(0, np.int32)
                           for _, x in _vectors(refs, extra)])  # fmt: skip


def _extra_columns(p: SkillsPlan, params: SkillsParams, pos: np.ndarray) -> np.ndarray | None:
    """(n, d) float32 columns to append to every kept document's embedding, or None: its lexical vector
    (TF-IDF + SVD fitted on the documents at `pos`) times `lexical_weight`, and its 12 format statistics,
    z-scored over all documents, scaled to `format_weight`."""
    if not params.lexical_weight and not params.format_weight:
        return None
    model = lexical.fit(_kept_column(p, ["text"], pos)["text"].to_pylist(), seed=params.seed) \
        if params.lexical_weight else None  # fmt: skip
    words, stats = [], []
    for doc_part, keep_part in zip(p.documents.partitions, p.quality.attributes.partitions, strict=True):
        texts = views.kept(doc_part, keep_part, ["text"])["text"].to_pylist()
        if model is not None:
            words.append(lexical.transform(texts, model, params.lexical_weight))
        if params.format_weight:
            stats.append(formats.stats(texts))
    cols = [np.concatenate(words)] if words else []
    if stats:
        f = np.concatenate(stats)
        cols.append(formats.standardise(f, f.mean(axis=0), f.std(axis=0), params.format_weight))
    return np.hstack(cols)


def _seen(embed: EmbedParams, max_seq: int) -> int:
    """Word pieces of a document the embedding covers: the first window, or every window up to max_chunks."""
    return max_seq if embed.pooling == "first" else embed.max_chunks * (max_seq - 2) + 2


def _group_sums(refs: list[PartitionRef], groups: np.ndarray, k: int,
                extra: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """(k, dim) float64 sum of each group's vectors: normalised, a skill's centroid (its distances are measured
    to it); divided by the group sizes, the fine clusters' means that Ward merges."""
    sums = None
    for lo, x in _vectors(refs, extra):
        if len(x):
            sums = np.zeros((k, x.shape[1]), np.float64) if sums is None else sums
            np.add.at(sums, groups[lo : lo + len(x)], x)
    return sums


def _assign(refs: list[PartitionRef], unit: np.ndarray,
            skills: np.ndarray | None) -> tuple[pa.Array, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(doc ids, skill, cosine distance to the skill's centroid, word pieces) of every kept document;
    `skills` given (groups) or each document's nearest centroid, partition by partition."""
    ids, out_skills, distance, tokens = [], [], [], []
    lo = 0
    for ref in refs:
        doc_ids, x, tok = views.embeddings(ref)
        s = skills[lo : lo + len(x)] if skills is not None else cluster.assign(x, unit)
        ids.append(doc_ids)
        out_skills.append(s.astype(np.int32))
        distance.append((1.0 - (x * unit[s]).sum(axis=1)).astype(np.float32))
        tokens.append(tok)
        lo += len(x)
    return (pa.concat_arrays(ids), np.concatenate(out_skills), np.concatenate(distance),
            np.concatenate(tokens).astype(np.int64))  # fmt: skip


def _semdedup(p: SkillsPlan, refs: list[PartitionRef], skills: np.ndarray, k: int, eps: float) -> np.ndarray:
    """(n,) int64: global position of the earlier same-skill document each one semantically duplicates, or -1.

    One pass spills each partition's vectors by skill to the work directory; then each skill is compared
    within itself (memory: the largest skill's vectors plus a bounded similarity block)."""
    lo = 0
    spill = io.join(p.work, "semdedup")
    for i, ref in enumerate(refs):
        x = views.embeddings(ref)[1]
        s = skills[lo : lo + len(x)]
        for j in np.unique(s):
            rows = np.flatnonzero(s == j)
            io.write_arrays(io.join(spill, f"skill-{j:05d}", f"part-{i:05d}.npz"), x=x[rows], pos=rows + lo)
        lo += len(x)
    out = np.full(len(skills), -1, np.int64)
    for j in range(k):
        files = io.glob(io.join(spill, f"skill-{j:05d}", "part-*.npz"))
        if not files:
            continue
        loaded = [io.read_arrays(f) for f in files]  # partition order = input order
        x, pos = np.concatenate([d["x"] for d in loaded]), np.concatenate([d["pos"] for d in loaded])
        first = cluster.semantic_duplicates(x, eps)
        out[pos[first >= 0]] = pos[first[first >= 0]]
    return out


def _write_skills(p: SkillsPlan, ids: pa.Array, skills: np.ndarray, distance: np.ndarray,
                  dup_of: np.ndarray | None, offsets: np.ndarray) -> list[dict]:  # fmt: skip
    """SKILLS partitions named like the documents partitions they describe; [{'name', 'num_rows'}]."""
    if dup_of is None:
        dup_ids = pa.nulls(len(ids), pa.string())
    else:
        dup_ids = ids.take(pa.array(np.where(dup_of >= 0, dup_of, 0))).to_pylist()
        dup_ids = pa.array([d if j >= 0 else None for d, j in zip(dup_ids, dup_of, strict=True)], pa.string())
    table = pa.table(
        {
            "doc_id": ids,
            "skill": pa.array(skills, pa.int32()),
            "distance": pa.array(distance, pa.float32()),
            "semantic_dup_of": dup_ids,
        },
        schema=SKILLS,
    )
    parts = []  # fmt: skip
    for i, doc_part in enumerate(p.documents.partitions):
        rows = io.write_table(table.slice(offsets[i], offsets[i + 1] - offsets[i]),
                              io.join(p.out, doc_part.name))  # fmt: skip
        parts.append({"name": doc_part.name, "num_rows": rows})
    return parts


def _describe(p: SkillsPlan, n: int, skills: np.ndarray, distance: np.ndarray,
              params: SkillsParams) -> tuple[dict[int, list[str]], dict[int, list[dict]]]:  # fmt: skip
    """c-TF-IDF terms and example snippets per skill, from a uniform sample of at most LABEL_SAMPLE documents;
    a skill's examples are its sampled documents nearest its centroid."""
    positions = cluster.sample(n, LABEL_SAMPLE, params.seed)
    table = _kept_column(p, ["doc_id", "text"], positions)
    texts, doc_ids = table["text"].to_pylist(), table["doc_id"].to_pylist()
    s, d = skills[positions], distance[positions]
    terms = cluster.ctfidf_labels(texts, s, params.label_terms)
    examples: dict[int, list[dict]] = {}
    for j in np.argsort(d, kind="stable"):
        chosen = examples.setdefault(int(s[j]), [])
        if len(chosen) < params.examples:
            chosen.append({"doc_id": doc_ids[j], "text": excerpt(texts[j], 300)})
    return terms, examples


def _kept_column(p: SkillsPlan, columns: list[str], positions: np.ndarray | None = None) -> pa.Table:
    """Columns of the kept documents (all, or those at sorted global `positions`), partition by partition."""
    out, lo = [], 0
    for doc_part, keep_part in zip(p.documents.partitions, p.quality.attributes.partitions, strict=True):
        t = views.kept(doc_part, keep_part, columns)
        if positions is not None:
            local = positions[(positions >= lo) & (positions < lo + t.num_rows)] - lo
            lo += t.num_rows
            t = t.take(pa.array(local, pa.int64()))
        out.append(t.select(columns))
    return pa.concat_tables(out)


def _field(p: SkillsPlan, field: str, required: bool) -> list[str | None] | None:
    """A field's value for every kept document, as text: a documents column, else a key of `meta`.

    None when the field is nowhere (an InputError naming what exists when `required`)."""
    if field in DOC_COLUMNS:
        return _kept_column(p, [field])[field].to_pylist()
    metas = [json.loads(m) if m else {} for m in _kept_column(p, ["meta"])["meta"].to_pylist()]
    values = [None if m.get(field) is None else str(m[field]) for m in metas]
    if all(v is None for v in values):
        if not required:
            return None
        seen = sorted({k for m in metas[:1000] for k in m})
        raise InputError(f"--group-by {field}: no kept document has this field; documents have "
                         f"{', '.join(DOC_COLUMNS)} and meta keys: {', '.join(seen) or '(none)'}")  # fmt: skip
    return values


def _agreement(p: SkillsPlan, skills: np.ndarray, params: SkillsParams) -> dict | None:
    """Purity, NMI and the skill x label counts against the label field, when it has two or more values."""
    if not params.label_field:
        return None
    truth = _field(p, params.label_field, required=False)
    if truth is None or len(set(truth)) < 2:
        return None
    truth = ["(missing)" if t is None else t for t in truth]
    table: dict[str, dict[str, int]] = {}
    for s, t in zip(skills.tolist(), truth, strict=True):
        row = table.setdefault(str(s), {})
        row[t] = row.get(t, 0) + 1
    return {"field": params.label_field, **cluster.agreement(skills, truth),
            "table": dict(sorted(table.items(), key=lambda kv: int(kv[0])))}  # fmt: skip


def _embed_work(p: SkillsPlan, refs: list[PartitionRef]) -> list[dict]:
    """What each embed_partition call of this run did: {'embedded': encoded now, 'reused': taken as made}."""
    return [io.read_json(io.join(p.work, "embedded", f"part-{k:05d}.json")) for k in range(len(refs))]


def _versions() -> dict:
    return {pkg: importlib.metadata.version(pkg) for pkg in ("sentence-transformers", "scikit-learn", "torch")}


def write_report(p: SkillsPlan, summary: SkillsSummary) -> list[str]:
    """summary.json, skills.json and the PNGs (map, sizes, agreement) into the run's report directory."""
    doc = SkillsDoc.model_validate(io.read_json(io.join(p.out, "skills.json")))
    io.write_json(io.join(p.report, "summary.json"), summary.model_dump(mode="json"))
    io.write_json(io.join(p.report, "skills.json"), doc.model_dump(mode="json"))
    mapped = io.read_arrays(io.join(p.out, "map.npz"))
    names = [k.label for k in doc.skills]
    title = f"{summary.documents_in:,} documents, {len(doc.skills)} skills ({len(mapped['xy']):,} drawn)"
    figures = {"skills_map.png": ssummary.map_figure(mapped["xy"], mapped["skill"], names, title),
               "skill_sizes.png": ssummary.sizes_figure(doc.skills)}  # fmt: skip
    if a := summary.agreement:
        figures["skills_vs_label.png"] = ssummary.agreement_figure(a.table, a.field, a.purity, a.nmi)
    if doc.tree:
        figures["skills_tree.png"] = ssummary.tree_figure(np.asarray(doc.tree), doc.fine, names)
    for name, png in figures.items():
        io.write_bytes(io.join(p.report, name), png)
    return sorted(figures)
