"""The mix stage: per-skill statistics (tokens stage, skills stage) -> mixture/<fp>/mixture.json. No Prefect.

mixture.json: the method and its parameters, one weight per skill (summing to 1), the statistics
the weights came from, and provenance (the tokens and skills fingerprints, the tokenizer's sha256).
A DsDm selection (method dsdm, or select dsdm: the combined mode) also writes selection.parquet, the kept
documents (schemas/tables.py SELECTION), and each skill's `tokens`/`documents` are then what it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from schemas.config import MixParams
from schemas.refs import PartitionRef
from schemas.tables import SELECTION
from tasks.attribution import datamodels
from tasks.attribution import stage as attribution_stage
from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.mixing import training_free
from tasks.skills import cluster
from tasks.skills import stage as skills_stage
from tasks.tokens import stage as tokens_stage
from tasks.tokens import stats


def inputs(run: str) -> tuple[dict, dict, list[dict]]:
    """(tokens summary, skills summary, skills.json entries) of the run, checked to belong together."""
    _, tmarker = tokens_stage.latest(run)
    skills_uri, smarker = skills_stage.latest(run)
    t, s = tmarker["summary"], smarker["summary"]
    if s["fingerprint"] != t["skills_fingerprint"]:
        raise InputError(f"{run}: the latest tokens were made for other skills than the latest skills; "
                         f"rerun `skillmix tokens --run {run}`")  # fmt: skip
    return t, s, io.read_json(io.join(skills_uri, "skills.json"))["skills"]


def mixture(run: str, params: MixParams) -> dict:
    """Compute (or load, when committed) the mixture; returns mixture.json's content with its path. BiMix
    trains proxies: flows.mix runs it (tasks.mixing.bimix_stage)."""
    if params.method == "bimix":
        raise ValueError("the bimix method trains proxy runs: run it through flows.mix (`skillmix mix`)")
    t, s, entries = inputs(run)
    fp = params.fingerprint(t["fingerprint"], s["fingerprint"], *selection_inputs(run, t, params))
    if (done := committed(run, fp)) is not None:
        return done
    scored = scored_documents(run, t) if params.selects else None
    # dsdm: natural here, replaced by the selection's shares in `finish`
    w, extra = weights(run, t, s, "natural" if params.method == "dsdm" else params.method, params)
    doc = finish(run, fp, params, t, s, entries, w, extra, scored)
    return write(run, doc)


def selection_inputs(run: str, t: dict, params: MixParams) -> list[str]:
    """The fingerprint of the attribution a selection reads (from its marker alone), or nothing."""
    return [attribution_for(run, t)[1]["summary"]["fingerprint"]] if params.selects else []


def finish(run: str, fp: str, params: MixParams, t: dict, s: dict, entries: list[dict], w: np.ndarray,
           extra: dict[int, dict], scored: Scored | None) -> dict:  # fmt: skip
    """mixture.json's content for weights `w`; with `scored`, the DsDm selection is made too (selection.parquet and
    its figure written, each skill's counts what it keeps; method dsdm: the weights are the kept token shares)."""
    if scored is None:
        return document(run, fp, params, t, s, entries, w, extra)
    k = len(w)
    selection, counts, means = select(scored, params, k, io.join(run, "mixture", fp, "selection.parquet"))
    if params.method == "dsdm":
        w = counts["tokens"] / counts["tokens"].sum()
    for i in range(k):
        extra[i] = extra[i] | {"tokens_scored": int(t["skills"][i]["tokens"]), "attribution_mean": means[i]}
    doc = document(run, fp, params, t, s, entries, w, extra, counts)
    doc["selection"] = selection
    doc["provenance"]["attribution"] = scored.fingerprint
    io.write_bytes(io.join(run, "report", "mix", "selection.png"), selection_figure(doc["skills"], params))
    return doc


def weights(run: str, t: dict, s: dict, method: str, params: MixParams) -> tuple[np.ndarray, dict[int, dict]]:
    """(weights, extra statistics per skill) of a training-free method on the run's per-skill statistics."""
    tokens = np.array([x["tokens"] for x in t["skills"]], np.float64)
    k = len(tokens)
    extra: dict[int, dict] = {i: {} for i in range(k)}
    if method == "natural":
        w = training_free.natural(tokens)
    elif method == "stratified":
        w = training_free.stratified(k)
    elif method == "temperature":
        w = training_free.temperature(tokens, params.temperature)
    elif method == "entropy-vne":
        h = von_neumann_entropies(run, s, k, params)
        extra = {i: {"von_neumann": h[i]} for i in range(k)}
        w = training_free.entropy(h)
    elif method.startswith("entropy-"):
        w = training_free.entropy(np.array([x[method.split("-", 1)[1]] for x in t["skills"]]))
    else:
        raise ValueError(f"{method!r} is not a training-free mixture")
    return w, extra


def document(run: str, fp: str, params: MixParams, t: dict, s: dict, entries: list[dict], w: np.ndarray,
             extra: dict[int, dict], counts: dict | None = None) -> dict:  # fmt: skip
    """mixture.json's content: per skill its weight, counts and statistics; provenance."""
    counts = counts or {key: [x[key] for x in t["skills"]] for key in ("tokens", "documents")}
    skills = [{"skill": i, "label": entries[i]["label"], "weight": float(w[i]), "tokens": int(counts["tokens"][i]),
               "documents": int(counts["documents"][i]),
               **{key: t["skills"][i][key] for key in ("shannon", "conditional", "joint")}, **extra[i]}
              for i in range(len(w))]  # fmt: skip
    return {"method": params.method, "params": params.model_dump(), "fingerprint": fp, "skills": skills,
            "weights": [float(x) for x in w],
            "provenance": {"tokens": t["fingerprint"], "skills": s["fingerprint"],
                           "tokenizer_sha256": t["tokenizer"]["sha256"]}}  # fmt: skip


def committed(run: str, fp: str) -> dict | None:
    """mixture.json of a committed mixture `fp` (pointed at as the run's latest), or None."""
    out = io.join(run, "mixture", fp)
    if io.committed(out) is None:
        return None
    io.point_latest(io.join(run, "mixture"), fp)
    return io.read_json(io.join(out, "mixture.json"))


def write(run: str, doc: dict) -> dict:
    """Write and commit mixture/<fp>/mixture.json, point latest at it, and write the stage's report."""
    out = io.join(run, "mixture", doc["fingerprint"])
    io.write_json(io.join(out, "mixture.json"), doc)
    io.commit(out, {"fingerprint": doc["fingerprint"], "method": doc["method"]})
    io.point_latest(io.join(run, "mixture"), doc["fingerprint"])
    io.write_json(io.join(run, "report", "mix", "summary.json"), {"stage": "mix", "run": run, **doc})
    return io.read_json(io.join(out, "mixture.json"))  # as a rerun reads it (lists, not tuples)


@dataclass(frozen=True)
class Scored:
    """The run's documents in attribution order: ids, skill, tokens, and the score of each towards every target."""

    fingerprint: str
    doc_ids: list[str]
    skills: np.ndarray
    tokens: np.ndarray
    scores: dict[str, np.ndarray]


def attribution_for(run: str, t: dict) -> tuple[str, dict]:
    """(URI, marker) of the run's latest attribution, checked from the markers alone (no table is read) to have
    scored every document of the tokens stage summarised by `t`."""
    uri, marker = attribution_stage.latest(run)
    a = marker["summary"]
    if a["tokens_fingerprint"] != t["fingerprint"]:
        raise InputError(f"{run}: the latest attribution scored other tokens than the latest tokens stage; rerun "
                         f"`skillmix attribute --run {run}`")  # fmt: skip
    if a["documents"] != t["documents"]:
        raise InputError(f"{run}: the attribution scored {a['documents']:,} of {t['documents']:,} documents "
                         "(--max-docs); a selection needs every document scored: rerun `skillmix attribute` "
                         "without it")  # fmt: skip
    return uri, marker


def scored_documents(run: str, t: dict) -> Scored:
    """The latest attribution of the run, aligned with its tokenized documents; every document must be scored."""
    uri, marker = attribution_for(run, t)
    doc_ids, scores = attribution_stage.read_scores(uri, marker)
    turi, tmarker = tokens_stage.latest(run)
    ids, skill, ntok = [], [], []
    for part in io.dataset(turi, "tokens", tmarker["partitions"]).partitions:
        if part.num_rows:
            tab = io.read_table(part, ["doc_id", "skill", "n_tokens"])
            ids += tab["doc_id"].to_pylist()
            skill.append(tab["skill"].to_numpy())
            ntok.append(tab["n_tokens"].to_numpy())
    if len(doc_ids) != len(ids):
        raise InputError(f"{run}: the attribution scored {len(doc_ids):,} of {len(ids):,} documents")
    pos = {d: i for i, d in enumerate(ids)}
    try:
        order = np.array([pos[d] for d in doc_ids], np.int64)
    except KeyError as e:
        raise InputError(f"{run}: attributed document {e.args[0]!r} is not among the tokenized ones") from e
    fp = marker["summary"]["fingerprint"]
    return Scored(fp, doc_ids, np.concatenate(skill)[order], np.concatenate(ntok)[order], scores)


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


def selection_figure(skills: list[dict], params: MixParams) -> bytes:
    """PNG: per skill, the share of its tokens the selection kept, and its mean attribution score."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    x = np.arange(len(skills))
    a.bar(x, [s["tokens"] / max(1, s["tokens_scored"]) for s in skills])
    a.axhline(params.keep, color="k", lw=0.8, ls="--", label=f"keep = {params.keep}")
    a.set_ylabel("tokens kept / tokens")
    a.legend(fontsize=7)
    b.bar(x, [s["attribution_mean"] for s in skills], color="tab:orange")
    b.axhline(0, color="k", lw=0.5)
    b.set_ylabel("mean score (higher = more beneficial)")
    for ax in (a, b):
        ax.set_xticks(x, [str(s["skill"]) for s in skills])
        ax.set_xlabel("skill")
    fig.suptitle(f"DsDm selection ({params.method}, select {params.select})")
    return plots.png(fig)


def von_neumann_entropies(run: str, s: dict, k: int, params: MixParams) -> np.ndarray:
    """Each skill's von Neumann entropy over the embeddings of at most `vne_docs` of its documents."""
    skills_uri = skills_stage.latest_uri(run)
    parts = skills_stage.attributes(skills_uri).partitions
    skill_of = np.concatenate([io.read_table(p, ["skill"])["skill"].to_numpy() if p.num_rows else np.empty(0, np.int32)
                               for p in parts])  # fmt: skip
    offsets = np.concatenate([[0], np.cumsum([p.num_rows for p in parts])]).astype(np.int64)
    refs = [PartitionRef(uri=io.join(s["embeddings"], f"part-{i:05d}", "embeddings.parquet"), num_rows=p.num_rows,
                         table="embeddings") for i, p in enumerate(parts)]  # fmt: skip
    out = np.zeros(k)
    for j in range(k):
        members = np.flatnonzero(skill_of == j)
        chosen = np.sort(members[cluster.sample(len(members), params.vne_docs, params.seed + j)])
        out[j] = stats.von_neumann(skills_stage.rows(refs, offsets, chosen))
    return out


def latest(run: str) -> dict:
    fp = io.latest(io.join(run, "mixture"))
    if fp is None:
        raise InputError(f"{run}: no mixture; run `skillmix mix --run {run}` first")
    return io.read_json(io.join(run, "mixture", fp, "mixture.json"))
