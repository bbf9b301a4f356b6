"""The mix stage: per-skill statistics (tokens stage, skills stage) -> mixture/<fp>/mixture.json. No Prefect.

mixture.json: the method and its parameters, one weight per skill (summing to 1), the statistics
the weights came from, and provenance (the tokens and skills fingerprints, the tokenizer's sha256).
"""

from __future__ import annotations

import numpy as np

from schemas.config import MixParams
from schemas.refs import PartitionRef
from tasks.common import io
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
    """Compute (or load, when committed) the mixture; returns mixture.json's content with its path."""
    t, s, entries = inputs(run)
    fp = params.fingerprint(t["fingerprint"], s["fingerprint"])
    out = io.join(run, "mixture", fp)
    if io.committed(out) is not None:
        io.point_latest(io.join(run, "mixture"), fp)
        return io.read_json(io.join(out, "mixture.json"))
    tokens = np.array([x["tokens"] for x in t["skills"]], np.float64)
    extra: dict[int, dict] = {}
    if params.method == "natural":
        w = training_free.natural(tokens)
    elif params.method == "stratified":
        w = training_free.stratified(len(tokens))
    elif params.method == "temperature":
        w = training_free.temperature(tokens, params.temperature)
    elif params.method == "entropy-vne":
        h = von_neumann_entropies(run, s, len(tokens), params)
        extra = {i: {"von_neumann": h[i]} for i in range(len(tokens))}
        w = training_free.entropy(h)
    else:
        w = training_free.entropy(np.array([x[params.method.split("-", 1)[1]] for x in t["skills"]]))
    skills = [{"skill": i, "label": entries[i]["label"], "weight": float(w[i]), "tokens": int(tokens[i]),
               "documents": t["skills"][i]["documents"],
               **{k: t["skills"][i][k] for k in ("shannon", "conditional", "joint")}, **extra.get(i, {})}
              for i in range(len(tokens))]  # fmt: skip
    doc = {"method": params.method, "params": params.model_dump(), "fingerprint": fp, "skills": skills,
           "weights": [float(x) for x in w],
           "provenance": {"tokens": t["fingerprint"], "skills": s["fingerprint"],
                          "tokenizer_sha256": t["tokenizer"]["sha256"]}}  # fmt: skip
    io.write_json(io.join(out, "mixture.json"), doc)
    io.commit(out, {"fingerprint": fp, "method": params.method})
    io.point_latest(io.join(run, "mixture"), fp)
    io.write_json(io.join(run, "report", "mix", "summary.json"), {"stage": "mix", "run": run, **doc})
    return doc


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
