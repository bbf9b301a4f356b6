"""The attribution stages over files: tokenized kept documents (a tokens ref) and target JSONL files ->
attributes/attribution/<fp>/part-00000.parquet (doc_id, target, score), or each skill's benefit
(attribution-skills/<fp>/skills.json). No Prefect.

A document is scored on its first `seq_len` next tokens (shorter ones are padded and their padding is not
scored); a target example likewise. Targets: JSONL files, one object per line with "text" and optionally
"target" (the task's name; default the file's name without extension).
"""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pyarrow as pa

from schemas.config import AttributionParams, SkillAttributionParams
from schemas.outputs import (
    AttributionMarker,
    AttributionSummary,
    SkillAttributionMarker,
    SkillAttributionSummary,
)
from schemas.refs import TokensRef
from schemas.tables import ATTRIBUTION
from tasks.attribution import datamodels, dsdm
from tasks.attribution.targets import encode_targets, read_targets, rows
from tasks.common import catalog, io, plots
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.skills import cluster


def pool(
    tokens: TokensRef, max_docs: int | None = None, seed: int = 0
) -> tuple[list[str], np.ndarray, list[np.ndarray]]:
    """(doc_ids, skills, token ids) of the tokenized kept documents (a seeded sample of max_docs)."""
    doc_ids, skills, ids = [], [], []
    for part in tokens.attributes.partitions:
        t = io.read_table(part, ["doc_id", "skill", "ids"])
        doc_ids += t["doc_id"].to_pylist()
        skills.append(t["skill"].to_numpy())
        ids += [np.asarray(a, np.int64) for a in t["ids"].to_numpy(zero_copy_only=False)]
    skills_arr = np.concatenate(skills) if skills else np.zeros(0, np.int32)
    if max_docs and max_docs < len(doc_ids):
        keep = cluster.sample(len(doc_ids), max_docs, seed)
        doc_ids, skills_arr, ids = [doc_ids[i] for i in keep], skills_arr[keep], [ids[i] for i in keep]
    if len(doc_ids) < 4:
        raise InputError(f"{tokens.run}: {len(doc_ids)} tokenized documents; attribution needs at least 4")
    return doc_ids, skills_arr, ids


def _keyed(tokens: TokensRef, target_files: list[str], params) -> tuple[dict[str, list[str]], str]:
    """(targets, output fingerprint over params, tokens and the targets' texts)."""
    targets = read_targets(target_files)
    digest = hashlib.sha256(json.dumps(targets, sort_keys=True).encode()).hexdigest()
    return targets, params.fingerprint(tokens.fingerprint, digest)


def attribute(run: str, tokens: TokensRef, target_files: list[str], params: AttributionParams,
              progress=None) -> AttributionMarker:  # fmt: skip
    """Score every kept document towards each target (or read the committed scores); the committed marker."""
    targets, fp = _keyed(tokens, target_files, params)
    out = catalog.out(run, "attribution", fp)
    if (done := catalog.load(out, AttributionMarker)) is not None:
        return done
    doc_ids, skills, ids = pool(tokens, params.max_docs, params.seed)  # only when scoring: a rerun needs no ids
    target_rows = encode_targets(tokens, targets, params.proxy.seq_len)
    start = time.perf_counter()
    bar = ProgressFile(io.join(catalog.work(run, "attribution", fp), "progress", "attribution.json"),
                       params.models * len(doc_ids), "attribution", unit="docs")  # fmt: skip
    scores, masks = dsdm.attribute(rows(ids, params.proxy.seq_len), target_rows, tokens.vocab_size,
                                   params.proxy, models=params.models, seed=params.seed, proj_dim=params.proj_dim,
                                   ridge=params.ridge, sparse=params.projection == "sparse",
                                   progress=progress, on_rows=bar.update)  # fmt: skip
    bar.update(params.models * len(doc_ids), force=True)
    names = list(scores)
    table = pa.table({"doc_id": doc_ids * len(names), "target": np.repeat(names, len(doc_ids)).tolist(),
                      "score": np.concatenate([scores[n] for n in names])}, schema=ATTRIBUTION)  # fmt: skip
    n = io.write_table(table, io.join(out, "part-00000.parquet"))
    io.write_arrays(io.join(out, "halves.npz"), masks=masks)  # which documents each proxy saw, for LDS checks
    summary = AttributionSummary(fingerprint=fp, tokens_fingerprint=tokens.fingerprint, documents=len(doc_ids),
                                 rows=n, targets={k: len(v) for k, v in targets.items()}, target_files=target_files,
                                 params=params, seconds=round(time.perf_counter() - start, 1),
                                 sign="higher = more beneficial to the target",
                                 per_skill_mean={n: skill_means(scores[n], skills) for n in names})  # fmt: skip
    report = catalog.report(run, "attribution")
    io.write_json(io.join(report, "summary.json"), summary.model_dump(mode="json"))
    io.write_bytes(io.join(report, "attribution.png"), figure(scores, skills))
    marker = AttributionMarker(fingerprint=fp, inputs={"tokens": tokens.fingerprint}, summary=summary,
                               partitions=[{"name": "part-00000.parquet", "num_rows": n}])  # fmt: skip
    io.commit(out, marker.model_dump())
    return marker


def attribute_skills(run: str, tokens: TokensRef, target_files: list[str], params: SkillAttributionParams,
                     progress=None) -> SkillAttributionMarker:  # fmt: skip
    """Each skill's benefit to each target by group-level datamodels (or the committed one); the marker, whose
    summary is also attribution-skills/<fp>/skills.json, with the runs (runs.npz: masks, losses)."""
    targets, fp = _keyed(tokens, target_files, params)
    out = catalog.out(run, "attribution-skills", fp)
    if (done := catalog.load(out, SkillAttributionMarker)) is not None:
        return done
    _, skills, ids = pool(tokens)
    labels = [s.label for s in catalog.skill_entries(tokens.skills)]
    target_rows = encode_targets(tokens, targets, params.proxy.seq_len)
    start = time.perf_counter()
    bar = ProgressFile(io.join(catalog.work(run, "attribution-skills", fp), "progress", "runs.json"), params.subsets,
                       "attribution-skills", unit="runs")  # fmt: skip
    r = dsdm.group_attribute(rows(ids, params.proxy.seq_len), skills, target_rows, tokens.vocab_size, params.proxy,
                             subsets=params.subsets, alpha=params.alpha, ridge=params.ridge, seed=params.seed,
                             k=len(labels), progress=progress, on_run=lambda n: bar.update(n, force=True))  # fmt: skip
    names = r["targets"]
    per_skill = [{"skill": g, "label": labels[g] if g < len(labels) else str(g), "documents": int((skills == g).sum()),
                  "benefit": {n: float(r["benefit"][g, j]) for j, n in enumerate(names)}}
                 for g in range(len(r["benefit"]))]  # fmt: skip
    summary = SkillAttributionSummary(
        fingerprint=fp,
        tokens_fingerprint=tokens.fingerprint,
        targets={k: len(v) for k, v in targets.items()},
        target_files=target_files,
        params=params,
        seconds=round(time.perf_counter() - start, 1),
        sign="higher = more beneficial to the target; only differences between skills are identified",
        skills=per_skill,
        cv_spearman=r["cv_spearman"],
        loss_range={n: [float(r["losses"][:, j].min()), float(r["losses"][:, j].max())] for j, n in enumerate(names)},
    )
    io.write_arrays(io.join(out, "runs.npz"), masks=r["masks"], losses=r["losses"])
    io.write_json(io.join(out, "skills.json"), summary.model_dump(mode="json"))
    report = catalog.report(run, "attribution-skills")
    io.write_json(io.join(report, "summary.json"), summary.model_dump(mode="json"))
    io.write_bytes(io.join(report, "skills.png"), skills_figure(r))
    marker = SkillAttributionMarker(fingerprint=fp, inputs={"tokens": tokens.fingerprint}, summary=summary)
    io.commit(out, marker.model_dump())
    return marker


def skills_figure(r: dict) -> bytes:
    """PNG: each skill's benefit per target, and the runs' target loss against how many beneficial skills saw."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    k, names = len(r["benefit"]), r["targets"]
    width = 0.8 / len(names)
    for j, n in enumerate(names):
        a.bar(np.arange(k) + j * width, r["benefit"][:, j], width, label=n)
        pred = datamodels.predicted_loss(r["masks"], r["benefit"][:, j], r["intercept"][j])
        b.scatter(pred, r["losses"][:, j], s=12, label=n)
    a.axhline(0, color="k", lw=0.5)
    a.set_xticks(np.arange(k) + 0.4 - width / 2, [str(g) for g in range(k)])
    a.set_xlabel("skill")
    a.set_ylabel("benefit (higher = lowers the target loss)")
    b.set_xlabel("datamodel's loss (in-sample fit)")
    b.set_ylabel("measured target loss")
    a.legend(fontsize=7)
    b.legend(fontsize=7)
    return plots.png(fig)


def skill_means(score: np.ndarray, skills: np.ndarray) -> dict[str, float]:
    """Mean score of each skill's documents: the per-skill aggregate the mixture stage can use."""
    return {str(int(s)): float(score[skills == s].mean()) for s in np.unique(skills)}


def figure(scores: dict[str, np.ndarray], skills: np.ndarray) -> bytes:
    """PNG: the score distribution per target, and each skill's mean score per target."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    ks = np.unique(skills)
    width = 0.8 / len(scores)
    for i, (name, s) in enumerate(scores.items()):
        a.hist(s, bins=40, alpha=0.6, label=name)
        b.bar(np.arange(len(ks)) + i * width, [s[skills == k].mean() for k in ks], width, label=name)
    a.set_xlabel("score (higher = more beneficial)")
    a.set_ylabel("documents")
    b.axhline(0, color="k", lw=0.5)
    b.set_xticks(np.arange(len(ks)) + 0.4 - width / 2, [str(int(k)) for k in ks])
    b.set_xlabel("skill")
    b.set_ylabel("mean score")
    a.legend(fontsize=7)
    b.legend(fontsize=7)
    return plots.png(fig)
