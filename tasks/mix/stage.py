"""The mix stage: per-skill statistics of a tokens stage (and its skills) -> mix/<fp>/mixture.json. No Prefect.

mixture.json (schemas/mixture.py): the method and its parameters, one weight per skill (summing to 1), the
statistics the weights came from, and provenance (the tokens and skills fingerprints, the tokenizer's sha256).
A DsDm selection (method dsdm, or select dsdm: the combined mode) also writes selection.parquet, the kept
documents (schemas/tables.py SELECTION), and each skill's `tokens`/`documents` are then what it keeps. BiMix
(tasks.mix.bimix_stage) fits its law to proxy runs and ends here too, in `finish` and `write`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from schemas.config import MixParams
from schemas.manifest import Manifest
from schemas.mixture import MixMarker, MixtureDoc, MixtureSkill, Pruned, Selection
from schemas.outputs import SkillEntry, SkillsSummary, TokensSummary
from schemas.refs import AttributionRef, ManifestRef, MixPlan, SkillsRef, TokensRef
from schemas.tables import QUALITY_STATS, SELECTION
from tasks.attribution import datamodels
from tasks.common import catalog, io, plots, views
from tasks.common.errors import InputError
from tasks.mix import training_free
from tasks.quality import rules
from tasks.skills import cluster
from tasks.tokens import stats


@dataclass(frozen=True)
class Inputs:
    """What a mixture weighs: the tokens stage's per-skill statistics, the skills stage's summary and entries."""

    tokens: TokensSummary
    skills: SkillsSummary
    entries: list[SkillEntry]


def plan(run: str, tokens: TokensRef, params: MixParams, attribution: AttributionRef | None = None,
         manifest: ManifestRef | None = None, proxies: tuple[str, ...] = (),
         inputs: tuple[str, ...] = ()) -> MixPlan:  # fmt: skip
    """Where the mixture goes and whether it is committed. The fingerprint covers the params, the tokens and skills,
    the attribution a selection reads, the proxy runs a law is fitted to and any other `inputs` (the digest of a
    law's target files)."""
    if params.selects:
        check_attribution(tokens, attribution)
    else:
        attribution = None
    consumed = [attribution.fingerprint] if attribution else []
    fp = params.fingerprint(tokens.fingerprint, tokens.skills.fingerprint, *proxies, *consumed, *inputs)
    p = MixPlan(**catalog.places(run, "mix", fp), tokens=tokens, attribution=attribution, manifest=manifest,
                proxies=tuple(proxies), mixture_json=catalog.mixture_json(run, fp),
                selection=catalog.selection(run, fp))  # fmt: skip
    return p.model_copy(update={"done": io.committed(p.out) is not None})


def manifest_of_every_skill(tokens: TokensRef, manifest: ManifestRef, who: str) -> Manifest:
    """The manifest `who`'s proxies train on, refused unless it holds every skill of `tokens`."""
    m = Manifest.model_validate(io.read_json(manifest.manifest))
    if [x.skill for x in m.skills] != list(range(tokens.skills.k)):
        raise InputError(f"{manifest.manifest}: {who} proxies need every skill in the manifest; emit one with a "
                         "training-free mixture first (`skillmix mix --run RUN`, then `skillmix emit`)")  # fmt: skip
    return m


def check_attribution(tokens: TokensRef, attribution: AttributionRef | None) -> None:
    """A selection needs an attribution that scored every document of `tokens` (checked on refs alone)."""
    if attribution is None:
        raise InputError(f"{tokens.run}: no attribution scores; run `{catalog.command('attribution', tokens.run)}` "
                         "first")  # fmt: skip
    if attribution.tokens.fingerprint != tokens.fingerprint:
        raise InputError(f"{tokens.run}: the latest attribution scored other tokens than the latest tokens stage; "
                         f"rerun `{catalog.command('attribution', tokens.run)}`")  # fmt: skip
    n = tokens.attributes.num_rows
    if attribution.documents != n:
        raise InputError(f"{tokens.run}: the attribution scored {attribution.documents:,} of {n:,} documents "
                         "(--max-docs); a selection needs every document scored: rerun `skillmix attribution` "
                         "without it")  # fmt: skip


def inputs(tokens: TokensRef) -> Inputs:
    """The per-skill statistics a mixture weighs, from the tokens and skills its ref chain names."""
    t = catalog.summary(tokens)
    s = catalog.summary(tokens.skills)
    return Inputs(t, s, catalog.skill_entries(tokens.skills))


def mixture(p: MixPlan, params: MixParams) -> MixtureDoc:
    """Compute the mixture (or read it, when committed). BiMix trains proxies: flows.mix runs it."""
    if params.method in ("bimix", "law"):
        raise ValueError(f"the {params.method} method trains proxy runs: run it through flows.mix (`skillmix mix`)")
    if io.committed(p.out) is not None:
        return committed(p)
    x = inputs(p.tokens)
    scored = scored_documents(p) if params.selects else None
    # dsdm: natural here, replaced by the selection's shares in `finish`
    w, extra = weights(p.tokens.skills, x, "natural" if params.method == "dsdm" else params.method, params)
    pruned = None
    if params.min_skill_quality is not None:
        w, pruned = prune(p.tokens.skills, w, extra, params.min_skill_quality)
    doc = finish(p, params, x, w, extra, scored)
    return write(p, doc.model_copy(update={"pruned": pruned}) if pruned else doc)


def prune(skills: SkillsRef, w: np.ndarray, extra: dict[int, dict], threshold: float) -> tuple[np.ndarray, Pruned]:
    """Weight 0 for the skills whose documents' mean quality score is below `threshold`, the rest renormalised;
    each skill's mean score goes into `extra`."""
    skill, t = views.skill_quality(skills.attributes.partitions, skills.quality.attributes.partitions,
                                   list(QUALITY_STATS))  # fmt: skip
    scores = rules.score(rules.columns(t))
    k = len(w)
    mean = np.bincount(skill, scores, k) / np.maximum(np.bincount(skill, minlength=k), 1)
    for i in range(k):
        extra[i] = extra[i] | {"quality": round(float(mean[i]), 4)}
    try:
        pruned_w, low = training_free.prune(w, mean, threshold)
    except ValueError as e:
        raise InputError(f"--min-skill-quality: {e}") from None
    return pruned_w, Pruned(min_skill_quality=threshold, skills=np.flatnonzero(low).tolist(),
                            weight_before=float(w[low].sum()))  # fmt: skip


def finish(p: MixPlan, params: MixParams, x: Inputs, w: np.ndarray, extra: dict[int, dict],
           scored: Scored | None) -> MixtureDoc:  # fmt: skip
    """mixture.json's content for weights `w`; with `scored`, the DsDm selection is made too (selection.parquet and
    its figure written, each skill's counts what it keeps; method dsdm: the weights are the kept token shares)."""
    if scored is None:
        return document(p, params, x, w, extra)
    k = len(w)
    selection, counts, means = select(scored, params, k, p.selection)
    if params.method == "dsdm":
        w = counts["tokens"] / counts["tokens"].sum()
    for i in range(k):
        extra[i] = extra[i] | {"tokens_scored": int(x.tokens.skills[i].tokens), "attribution_mean": means[i]}
    doc = document(p, params, x, w, extra, counts)
    provenance = doc.provenance.model_copy(update={"attribution": scored.fingerprint})
    doc = doc.model_copy(update={"selection": Selection.model_validate(selection), "provenance": provenance})
    io.write_bytes(io.join(p.report, "selection.png"), selection_figure(doc.skills, params))  # fmt: skip
    return doc


def weights(skills: SkillsRef, x: Inputs, method: str, params: MixParams) -> tuple[np.ndarray, dict[int, dict]]:
    """(weights, extra statistics per skill) of a training-free method on the per-skill statistics (`skills`: whose
    embeddings the von Neumann entropy reads)."""
    tokens = np.array([s.tokens for s in x.tokens.skills], np.float64)
    k = len(tokens)
    extra: dict[int, dict] = {i: {} for i in range(k)}
    if method == "natural":
        w = training_free.natural(tokens)
    elif method == "stratified":
        w = training_free.stratified(k)
    elif method == "temperature":
        w = training_free.temperature(tokens, params.temperature)
    elif method == "entropy-vne":
        h = von_neumann_entropies(skills, k, params)
        extra = {i: {"von_neumann": h[i]} for i in range(k)}
        w = training_free.entropy(h)
    elif method.startswith("entropy-"):
        w = training_free.entropy(np.array([getattr(s, method.split("-", 1)[1]) for s in x.tokens.skills]))
    else:
        raise ValueError(f"{method!r} is not a training-free mixture")
    return w, extra


def document(p: MixPlan, params: MixParams, x: Inputs, w: np.ndarray, extra: dict[int, dict],
             counts: dict | None = None) -> MixtureDoc:  # fmt: skip
    """mixture.json's content: per skill its weight, counts and statistics; provenance."""
    t = x.tokens
    counts = counts or {key: [getattr(s, key) for s in t.skills] for key in ("tokens", "documents")}
    skills = [MixtureSkill(skill=i, label=x.entries[i].label, weight=float(w[i]), tokens=int(counts["tokens"][i]),
                           documents=int(counts["documents"][i]), shannon=t.skills[i].shannon,
                           conditional=t.skills[i].conditional, joint=t.skills[i].joint, **extra[i])
              for i in range(len(w))]  # fmt: skip
    return MixtureDoc(method=params.method, params=params, fingerprint=p.fingerprint, skills=skills,
                      weights=[float(v) for v in w],
                      provenance={"tokens": t.fingerprint, "skills": x.skills.fingerprint,
                                  "tokenizer_sha256": t.tokenizer.sha256})  # fmt: skip


def committed(p: MixPlan) -> MixtureDoc:
    """mixture.json of the committed mixture of plan `p`."""
    if io.committed(p.out) is None:
        raise InputError(f"{p.out}: no committed mixture here; run `skillmix mix --run {p.run}` first")
    return catalog.mixture_doc(p.mixture_json)


def write(p: MixPlan, doc: MixtureDoc) -> MixtureDoc:
    """Write and commit mixture.json, and the stage's report summary."""
    io.write_json(p.mixture_json, doc.model_dump(mode="json"))
    consumed = {"tokens": p.tokens.fingerprint}
    consumed |= {"attribution": p.attribution.fingerprint} if p.attribution else {}
    consumed |= {"emit": p.manifest.fingerprint} if p.manifest and p.proxies else {}
    marker = MixMarker(fingerprint=p.fingerprint, method=doc.method, inputs=consumed, proxies=list(p.proxies) or None)
    io.commit(p.out, marker.model_dump(mode="json"))
    write_report(p, doc)
    return catalog.mixture_doc(p.mixture_json)  # as a rerun reads it


def write_report(p: MixPlan, doc: MixtureDoc) -> None:
    io.write_json(io.join(p.report, "summary.json"), {"stage": "mix", "run": p.run, **doc.model_dump(mode="json")})


@dataclass(frozen=True)
class Scored:
    """The documents in attribution order: ids, skill, tokens, and the score of each towards every target."""

    fingerprint: str
    doc_ids: list[str]
    skills: np.ndarray
    tokens: np.ndarray
    scores: dict[str, np.ndarray]


def scored_documents(p: MixPlan) -> Scored:
    """The plan's attribution, aligned with its tokenized documents; every document must be scored."""
    doc_ids, scores = views.scores(p.attribution.scores)
    ids, skill, ntok = [], [], []
    for part in p.tokens.attributes.partitions:
        if part.num_rows:
            tab = io.read_table(part, ["doc_id", "skill", "n_tokens"])
            ids += tab["doc_id"].to_pylist()
            skill.append(tab["skill"].to_numpy())
            ntok.append(tab["n_tokens"].to_numpy())
    if len(doc_ids) != len(ids):
        raise InputError(f"{p.run}: the attribution scored {len(doc_ids):,} of {len(ids):,} documents")
    pos = {d: i for i, d in enumerate(ids)}
    try:
        order = np.array([pos[d] for d in doc_ids], np.int64)
    except KeyError as e:
        raise InputError(f"{p.run}: attributed document {e.args[0]!r} is not among the tokenized ones") from e
    return Scored(p.attribution.fingerprint, doc_ids, np.concatenate(skill)[order], np.concatenate(ntok)[order],
                  scores)  # fmt: skip


def select(scored: Scored, params: MixParams, k: int, uri: str) -> tuple[dict, dict, list[float]]:
    """Write the kept documents to `uri`; (mixture.json's `selection`, kept tokens and documents per skill,
    mean combined score per skill). Global for method dsdm, within each skill otherwise."""
    try:
        score = datamodels.combined_score(scored.scores, params.target)
    except ValueError as e:
        raise InputError(f"--target: {e}") from e
    within = params.method != "dsdm"
    chosen = datamodels.keep_top(score, scored.tokens, params.keep, scored.skills if within else None, k)
    chosen = np.sort(chosen)
    table = pa.table({"doc_id": [scored.doc_ids[i] for i in chosen], "skill": scored.skills[chosen],
                      "n_tokens": scored.tokens[chosen], "score": score[chosen]}, schema=SELECTION)  # fmt: skip
    io.write_table(table, uri)
    kept = {"tokens": np.bincount(scored.skills[chosen], weights=scored.tokens[chosen], minlength=k).astype(np.int64),
            "documents": np.bincount(scored.skills[chosen], minlength=k)}  # fmt: skip
    means = [float(score[scored.skills == i].mean()) if (scored.skills == i).any() else float("nan") for i in range(k)]
    info = {"file": "selection.parquet", "scope": "within skills" if within else "global", "keep": params.keep,
            "target": params.target or sorted(scored.scores), "attribution": scored.fingerprint,
            "documents": len(chosen), "documents_scored": len(scored.doc_ids),
            "tokens": int(kept["tokens"].sum()), "tokens_scored": int(scored.tokens.sum())}  # fmt: skip
    return info, kept, means


def selection_figure(skills: list[MixtureSkill], params: MixParams) -> bytes:
    """PNG: per skill, the share of its tokens the selection kept, and its mean attribution score."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    x = np.arange(len(skills))
    a.bar(x, [s.tokens / max(1, s.tokens_scored or 0) for s in skills])
    a.axhline(params.keep, color="k", lw=0.8, ls="--", label=f"keep = {params.keep}")
    a.set_ylabel("tokens kept / tokens")
    a.legend(fontsize=7)
    b.bar(x, [s.attribution_mean for s in skills], color="tab:orange")
    b.axhline(0, color="k", lw=0.5)
    b.set_ylabel("mean score (higher = more beneficial)")
    for ax in (a, b):
        ax.set_xticks(x, [str(s.skill) for s in skills])
        ax.set_xlabel("skill")
    fig.suptitle(f"DsDm selection ({params.method}, select {params.select})")
    return plots.png(fig)


def von_neumann_entropies(skills: SkillsRef, k: int, params: MixParams) -> np.ndarray:
    """Each skill's von Neumann entropy over the embeddings of at most `vne_docs` of its documents."""
    skill_of = np.concatenate([io.read_table(q, ["skill"])["skill"].to_numpy() if q.num_rows else np.empty(0, np.int32)
                               for q in skills.attributes.partitions])  # fmt: skip
    out = np.zeros(k)
    for j in range(k):
        members = np.flatnonzero(skill_of == j)
        chosen = np.sort(members[cluster.sample(len(members), params.vne_docs, params.seed + j)])
        out[j] = stats.von_neumann(views.embedding_rows(skills.embeddings.partitions, chosen))
    return out
