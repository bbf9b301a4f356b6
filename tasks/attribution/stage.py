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

from schemas.config import AttributionParams, SkillAttributionParams, SurrogateParams
from schemas.outputs import (
    AttributionMarker,
    AttributionSummary,
    SkillAttributionMarker,
    SkillAttributionSummary,
    SurrogateCandidate,
    SurrogateSummary,
    SurrogateTarget,
)
from schemas.refs import TokensRef
from schemas.tables import ATTRIBUTION
from tasks.attribution import datamodels, dsdm, surrogate
from tasks.attribution.targets import encode_targets, read_targets, rows
from tasks.common import catalog, io, plots, views
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


def check_sample(tokens: TokensRef, params: AttributionParams) -> None:
    """Before any training: a surrogate's sample fits the documents scored, and the run has their embeddings."""
    if params.surrogate is None:
        return
    kept = tokens.attributes.num_rows
    pool_size = min(kept, params.max_docs) if params.max_docs else kept
    if params.surrogate.sample > pool_size:
        raise InputError(f"{tokens.run}: a TRAK sample of {params.surrogate.sample:,} documents, but "
                         f"{pool_size:,} are scored{' (--max-docs)' if pool_size < kept else ''}: lower --sample, "
                         "or drop it to run TRAK on every document")  # fmt: skip
    parts = tokens.skills.embeddings.partitions
    embedded = sum(p.num_rows for p in parts)
    missing = [p.uri for p in parts if p.num_rows and not io.exists(p.uri)]
    if embedded < kept or missing:
        where = f"the skills output {tokens.skills.fingerprint}"
        held = (f"{len(missing)} embedding file(s) of {where} are gone (first: {missing[0]})" if missing
                else f"{where} holds embeddings of {embedded:,} of {kept:,} kept documents")  # fmt: skip
        raise InputError(f"{tokens.run}: the surrogate needs each kept document's embedding, but {held}: run "
                         f"`skillmix skills --run {tokens.run}` (it embeds the kept documents), then "
                         "`skillmix tokens`")  # fmt: skip


def doc_features(tokens: TokensRef, doc_ids: list[str], skills: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The surrogate's features of `doc_ids` (surrogate.features): the stored embedding, skill, length and source."""
    stored, mats = [], []
    for part in tokens.skills.embeddings.partitions:
        ids, x, _ = views.embeddings(part)
        stored += ids.to_pylist()
        mats.append(x.reshape(len(ids), -1))
    rows = {d: i for i, d in enumerate(stored)}
    where = np.array([rows.get(d, -1) for d in doc_ids], np.int64)
    if (where < 0).any():
        first = doc_ids[int(np.argmax(where < 0))]
        raise InputError(f"{tokens.run}: {int((where < 0).sum()):,} kept documents have no stored embedding (first "
                         f"{first!r}): run `skillmix skills --run {tokens.run}`")  # fmt: skip
    source = {}
    for part in tokens.skills.quality.documents.documents.partitions:
        if part.num_rows:
            t = io.read_table(part, ["doc_id", "source"])
            source.update(zip(t["doc_id"].to_pylist(), t["source"].to_pylist(), strict=True))
    return surrogate.features(np.concatenate(mats)[where], skills, tokens.skills.k, lengths,
                              np.array([source.get(d, "") for d in doc_ids]))  # fmt: skip


def attribute(run: str, tokens: TokensRef, target_files: list[str], params: AttributionParams,
              progress=None) -> AttributionMarker:  # fmt: skip
    """Score every kept document towards each target (or read the committed scores); the committed marker. With
    params.surrogate, TRAK scores a stratified sample and the surrogate fitted to it the other documents."""
    targets, fp = _keyed(tokens, target_files, params)
    out = catalog.out(run, "attribution", fp)
    if (done := catalog.load(out, AttributionMarker)) is not None:
        return done
    check_sample(tokens, params)
    doc_ids, skills, ids = pool(tokens, params.max_docs, params.seed)  # only when scoring: a rerun needs no ids
    sur = params.surrogate
    sample = surrogate.stratified_sample(skills, sur.sample, params.seed) if sur else np.arange(len(doc_ids))
    target_rows = encode_targets(tokens, targets, params.proxy.seq_len)
    start = time.perf_counter()
    bar = ProgressFile(io.join(catalog.work(run, "attribution", fp), "progress", "attribution.json"),
                       params.models * len(sample), "attribution", unit="docs")  # fmt: skip
    if progress and sur:
        progress(f"TRAK on a sample of {len(sample):,} of {len(doc_ids):,} documents, stratified by skill")
    trak_scores, masks = dsdm.attribute(rows([ids[i] for i in sample], params.proxy.seq_len), target_rows,
                                        tokens.vocab_size, params.proxy, models=params.models, seed=params.seed,
                                        proj_dim=params.proj_dim, ridge=params.ridge,
                                        sparse=params.projection == "sparse", progress=progress,
                                        on_rows=bar.update)  # fmt: skip
    bar.update(params.models * len(sample), force=True)
    trak_seconds = time.perf_counter() - start
    names = list(trak_scores)
    scored_by = np.full(len(doc_ids), "trak", dtype=object)
    if sur:
        lengths = np.array([len(a) for a in ids])
        scores, report, oofs = _surrogate(tokens, doc_ids, skills, lengths, sample, trak_scores, sur, params.seed,
                                          trak_seconds, progress)  # fmt: skip
        scored_by[:] = "surrogate"
        scored_by[sample] = "trak"
    else:
        scores, report, oofs = trak_scores, None, None
    table = pa.table({"doc_id": doc_ids * len(names), "target": np.repeat(names, len(doc_ids)).tolist(),
                      "score": np.concatenate([scores[n] for n in names]),
                      "scored_by": np.tile(scored_by, len(names)).tolist()}, schema=ATTRIBUTION)  # fmt: skip
    n = io.write_table(table, io.join(out, "part-00000.parquet"))
    # which documents each proxy saw, for LDS checks (with a surrogate: positions in the sample, and the sample)
    io.write_arrays(io.join(out, "halves.npz"), masks=masks, **({"sample": sample} if sur else {}))
    summary = AttributionSummary(fingerprint=fp, tokens_fingerprint=tokens.fingerprint, documents=len(doc_ids),
                                 rows=n, targets={k: len(v) for k, v in targets.items()}, target_files=target_files,
                                 params=params, seconds=round(time.perf_counter() - start, 1),
                                 sign="higher = more beneficial to the target",
                                 per_skill_mean={n: skill_means(scores[n], skills) for n in names},
                                 surrogate=report)  # fmt: skip
    report_dir = catalog.report(run, "attribution")
    io.write_json(io.join(report_dir, "summary.json"), summary.model_dump(mode="json"))
    io.write_bytes(io.join(report_dir, "attribution.png"), figure(scores, skills))
    if report is not None:
        io.write_bytes(io.join(report_dir, "surrogate.png"),
                       surrogate_figure(report, {n: trak_scores[n] for n in names}, oofs))  # fmt: skip
        if report.weak and progress:
            progress(surrogate.weak_warning(report))
    elif io.exists(stale := io.join(report_dir, "surrogate.png")):
        io.remove(stale)  # an earlier sampled attribution's: the report shows the latest one's figures
    marker = AttributionMarker(fingerprint=fp, inputs={"tokens": tokens.fingerprint}, summary=summary,
                               partitions=[{"name": "part-00000.parquet", "num_rows": n}])  # fmt: skip
    io.commit(out, marker.model_dump())
    return marker


def _surrogate(tokens: TokensRef, doc_ids: list[str], skills: np.ndarray, lengths: np.ndarray, sample: np.ndarray,
               trak_scores: dict[str, np.ndarray], params: SurrogateParams, seed: int, trak_seconds: float,
               progress) -> tuple[dict[str, np.ndarray], SurrogateSummary, dict[str, np.ndarray]]:  # fmt: skip
    """(every document's score per target: TRAK's on the sample, the surrogate's elsewhere; the summary; the
    chosen candidates' out-of-fold predictions on the sample, per target)."""
    t0 = time.perf_counter()
    x = doc_features(tokens, doc_ids, skills, lengths)
    t_features = time.perf_counter() - t0
    rest = np.ones(len(doc_ids), bool)
    rest[sample] = False
    scores, oofs, reports, t_fit, t_predict = {}, {}, [], 0.0, 0.0
    for name, y in trak_scores.items():
        t0 = time.perf_counter()
        fitted = surrogate.fit(x[sample], y, skills[sample], params.candidates, params.folds, seed, progress)
        t1 = time.perf_counter()
        full = np.empty(len(doc_ids))
        full[rest] = fitted.surrogate.predict(x[rest])
        full[sample] = y  # true TRAK where it exists
        t_fit, t_predict = t_fit + t1 - t0, t_predict + time.perf_counter() - t1
        scores[name], oofs[name] = full, fitted.oof
        weak = fitted.rho is None or fitted.rho < params.min_rho
        reports.append(SurrogateTarget(target=name, chosen=fitted.surrogate.name,
                                       candidates={c: SurrogateCandidate(**v) for c, v in fitted.cv.items()},
                                       rho=fitted.rho, within_skill_rho=fitted.within_skill_rho,
                                       skill_mean_rho=fitted.skill_mean_rho, per_skill=fitted.per_skill,
                                       weak=weak))  # fmt: skip
        if progress:
            progress(f"surrogate for {name}: {fitted.surrogate.name}, held-out Spearman with TRAK "
                     f"{_fmt(fitted.rho)} (within skills {_fmt(fitted.within_skill_rho)}, skill means alone "
                     f"{_fmt(fitted.skill_mean_rho)})")  # fmt: skip
    n_rest = int(rest.sum())
    seconds = {"trak": round(trak_seconds, 2), "features": round(t_features, 2), "fit": round(t_fit, 2),
               "predict": round(t_predict, 3)}  # fmt: skip
    rates = {"trak": round(len(sample) / max(trak_seconds, 1e-9), 2),
             "predict": round(n_rest * len(trak_scores) / max(t_predict, 1e-9), 1),
             "surrogate_end_to_end": round(n_rest / max(t_features + t_fit + t_predict, 1e-9), 1)}  # fmt: skip
    summary = SurrogateSummary(sample=len(sample), scored_by={"trak": len(sample), "surrogate": n_rest},
                               min_rho=params.min_rho, targets=reports, seconds=seconds, docs_per_second=rates,
                               weak=any(r.weak for r in reports))  # fmt: skip
    return scores, summary, oofs


def _fmt(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.3f}"


def surrogate_figure(s: SurrogateSummary, trak: dict[str, np.ndarray], oof: dict[str, np.ndarray]) -> bytes:
    """PNG: per target, the surrogate's held-out prediction against TRAK on the sample, and the held-out Spearman
    per skill (with the overall one and the skill-mean baseline as lines)."""
    plt = plots.pyplot()
    fig, axes = plt.subplots(len(s.targets), 2, figsize=(12, 4 * len(s.targets)), squeeze=False)
    for (a, b), t in zip(axes, s.targets, strict=True):
        a.scatter(trak[t.target], oof[t.target], s=4, alpha=0.5)
        a.set_xlabel("TRAK score (sample)")
        a.set_ylabel(f"surrogate ({t.chosen}), held-out prediction")
        a.set_title(f"{t.target}: held-out Spearman {_fmt(t.rho)}" + ("  WEAK" if t.weak else ""), fontsize=9)
        keys = list(t.per_skill)
        b.bar(range(len(keys)), [t.per_skill[k] or 0.0 for k in keys], color="tab:blue")
        for y, style, label in ((t.rho, "-", "overall"), (t.skill_mean_rho, ":", "skill means alone"),
                                (s.min_rho, "--", "--min-rho")):  # fmt: skip
            if y is not None:
                b.axhline(y, color="k", ls=style, lw=1, label=label)
        b.set_xticks(range(len(keys)), keys)
        b.set_xlabel("skill")
        b.set_ylabel("held-out Spearman within the skill")
        b.legend(fontsize=7)
    fig.tight_layout()
    return plots.png(fig)


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
