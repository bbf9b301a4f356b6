"""The one renderer of stage outputs: typed summaries in, `Section`s out (facts, tables, notes, figures).

The CLI prints these sections in the terminal (skillmix/show.py) and the run report writes the same sections as
HTML and Markdown (tasks/report/html.py), so a number reads the same wherever it is shown. Pure: values in,
sections out; `text` is how every value is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.manifest import Manifest
from schemas.mixture import MixtureDoc, SwarmLaw
from schemas.outputs import (
    AttributionSummary,
    DedupSummary,
    IngestSummary,
    ProxiesComparison,
    QualitySummary,
    SkillAttributionSummary,
    SkillEntry,
    SkillsGraphSummary,
    SkillsSummary,
    SurrogateSummary,
    TokensSummary,
    TrainSummary,
    Verified,
)
from schemas.status import RunStatus


@dataclass
class Section:
    """One part of a printout or the report. `missing`: why it is empty and the command that fills it."""

    id: str
    title: str
    facts: list[tuple[str, Any]] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list]]] = field(default_factory=list)  # caption, header, rows
    notes: list[str] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)  # caption, PNG (the report only)
    missing: str | None = None


def text(v: Any) -> str:
    """How a value is written: integers with thousands separators, floats to 4 significant digits, booleans as
    yes/no."""
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def size(n: float) -> str:
    """Bytes as B / kB / MB / GB (decimal, as the throughput figures in docs/BENCHMARKS.md)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def todo(id_: str, title: str, command: str) -> Section:
    return Section(id_, title, missing=f"not run yet: {command}")


def ingest(s: IngestSummary) -> Section:
    rate = f" in {s.seconds:.1f} s ({size(s.bytes_in / s.seconds)}/s)" if s.seconds else ""
    outcomes = [["input records", s.records], ["kept", s.kept]]
    outcomes += [[f"rejected: {k}", v] for k, v in s.rejected_by_reason.items() if v]
    sec = Section(
        "ingest",
        f"ingest {s.fingerprint}",
        facts=[
            ("input records", s.records),
            ("kept", s.kept),
            ("rejected", s.rejected),
            ("counts add up", s.counts_add_up),
            ("read", f"{size(s.bytes_in)}{rate}"),
            ("kept text", size(s.kept_text_bytes)),
            ("input files", len(s.inputs)),
            ("documents", s.documents),
        ],
        tables=[
            ("outcome of every record", ["outcome", "records"], outcomes),
            ("kept by source", ["source", "documents"], [[k, v] for k, v in s.kept_by_source.items()]),
        ],
    )
    if s.skipped_files:
        sec.notes.append(f"skipped {len(s.skipped_files)} files of unknown type: " + ", ".join(s.skipped_files[:5]))
    return sec


def dedup(s: DedupSummary) -> Section:
    sizes = sorted(s.cluster_sizes.items(), key=lambda kv: int(kv[0]))  # JSON keys sort as strings
    verified = f"{s.verified_pairs:,} verified" if s.params.verify else "verification off"
    outcomes = [["documents in", s.documents_in], ["kept", s.kept]]
    outcomes += [[f"dropped: {k}", v] for k, v in s.dropped_by_reason.items()]
    return Section(
        "dedup",
        f"dedup {s.fingerprint}",
        facts=[
            ("documents in", s.documents_in),
            ("kept", s.kept),
            ("dropped", s.dropped),
            ("counts add up", s.counts_add_up),
            ("LSH", f"{s.bands} bands x {s.rows} rows"),
            ("P(candidate)", ", ".join(f"J={j}: {p:.2f}" for j, p in s.s_curve.items())),
            ("candidate pairs", f"{s.candidate_pairs:,} ({verified})"),
            ("clusters by size (size: count)", ", ".join(f"{k}: {v}" for k, v in sizes) or "none"),
            ("deduplicated against", s.against or "none"),
            ("MinHash", f"{s.scheme}, datasketch {s.datasketch}"),
            ("attributes", s.attributes),
        ],
        tables=[("outcome of every document", ["outcome", "documents"], outcomes)],
    )


def quality(s: QualitySummary) -> Section:
    rules = "; ".join(r.describe() for r in s.params.rules)
    drops = [[r.reason, r.documents, r.words, r.bytes, ", ".join(f"{k} {v}" for k, v in r.by_source.items())]
             for r in s.rules if r.documents]  # fmt: skip
    outcomes = [["documents in", s.documents_in], ["kept", s.kept]]
    outcomes += [[f"dropped: {k}", v] for k, v in s.dropped_by_reason.items()]
    examples = [[r.reason, e.source, e.doc_id, " ".join(e.excerpt.split())[:160]] for r in s.rules for e in r.examples]
    return Section(
        "quality",
        f"quality {s.fingerprint}",
        facts=[
            ("rules", rules or "none: statistics only, nothing dropped"),
            ("documents in", s.documents_in),
            ("kept", s.kept),
            ("dropped", s.dropped),
            ("counts add up", s.counts_add_up),
            ("statistics", f"{s.statistics_computed:,} computed now, {s.statistics_reused:,} reused"),
            ("languages", ", ".join(f"{k} {v:,}" for k, v in s.languages.items())),
            ("language model", s.versions.get("language_model", "")),
            ("attributes", s.attributes),
        ],
        tables=[("outcome of every document", ["outcome", "documents"], outcomes),
                *([("dropped by each check (its first failure; those that dropped none left out)",
                    ["check", "documents", "words", "bytes", "by source"], drops)] if drops else []),
                ("by source", ["source", "documents after dedup", "kept", "languages"],
                 [[k, v["documents"], v["kept"], ", ".join(f"{a} {b}" for a, b in s.languages_by_source[k].items())]
                  for k, v in s.by_source.items()]),
                *([("examples of dropped documents", ["check", "source", "doc_id", "excerpt"], examples)]
                  if examples else [])],
    )  # fmt: skip


def skills(s: SkillsSummary, entries: list[SkillEntry]) -> Section:
    e = s.embed
    if e.pooling == "chunks":
        seen = f"> {e.max_chunks} windows of {s.max_seq_length} word pieces: {e.max_chunks} windows spread over them"
    else:
        seen = f"> {s.max_seq_length} word pieces, embedded from their beginning"
    sec = Section("skills", f"skills {s.fingerprint} ({s.method})", facts=[
        ("skills", s.k), ("documents", s.documents_in),
        ("embeddings", f"{s.embedded:,} computed now, {s.reused:,} reused ({e.backend} {e.precision}, "
                       f"pooling {e.pooling})"),
        ("longer than the model's window", f"{s.truncated_share:.0%} of documents ({seen})")])  # fmt: skip
    if s.fine_k:
        gaps = sorted(s.k_gap.items(), key=lambda kv: -kv[1])[:3]
        how = "given" if not s.k_gap else "at the largest gap in merge heights (" + ", ".join(
            f"k={k}: x{v:.2f}" for k, v in gaps) + ")"  # fmt: skip
        sec.facts.append(("fine clusters", f"{s.fine_k} merged into {s.k} skills, k {how}"))
    p = s.params
    if p.lexical_weight or p.format_weight:
        sec.facts.append(("beside the embedding", f"lexical vectors x{p.lexical_weight:g}, format statistics "
                                                  f"x{p.format_weight:g}"))  # fmt: skip
    if s.k_silhouette:
        scores = sorted(s.k_silhouette.items(), key=lambda kv: int(kv[0]))
        sec.facts.append(("k chosen by silhouette", ", ".join(f"k={k}: {v:.3f}" for k, v in scores)))
    if s.semdedup.eps is not None:
        d = s.semdedup
        sec.facts.append(("SemDeDup", f"at cosine >= {1 - d.eps:.3f}: {d.dropped:,} dropped, {d.kept:,} kept"))
    if a := s.agreement:
        ari = f", ARI {a.ari:.3f}" if a.ari is not None else ""
        sec.facts.append((f"against {a.field}", f"purity {a.purity:.3f}, NMI {a.nmi:.3f}{ari}"))
    sec.facts += [("counts add up", s.counts_add_up), ("attributes", s.attributes)]
    rows = [[k.id, k.label, k.documents, f"{k.share:.1%}"] for k in entries]
    rows.append(["", "total", sum(k.documents for k in entries), ""])
    sec.tables.append(("skills", ["skill", "label", "documents", "share"], rows))
    return sec


def tokens(s: TokensSummary) -> Section:
    t = s.tokenizer
    rows = [[k.skill, k.documents, k.tokens, round(k.shannon, 3), round(k.conditional, 3), round(k.joint, 3)]
            for k in s.skills] + [["total", s.documents, s.tokens, "", "", ""]]  # fmt: skip
    return Section(
        "tokens",
        f"tokens {s.fingerprint}",
        facts=[
            ("tokenizer", t.source),
            ("vocabulary", t.vocab_size),
            ("EOS", f"{t.eos_token} = {t.eos_id}"),
            ("sha256", t.sha256[:16] + "..."),
            ("documents", s.documents),
            ("tokens", s.tokens),
            ("counts add up", s.counts_add_up),
            ("attributes", s.attributes),
        ],
        tables=[
            ("per skill (entropies in nats)", ["skill", "documents", "tokens", "shannon", "conditional", "joint"], rows)
        ],
    )


def mixture(doc: MixtureDoc) -> Section:
    sel, law = doc.selection, doc.law
    cols = ["skill", "label", "tokens", "weight"] + (["kept", "mean score"] if sel else [])
    cols += ["alpha", "R2 (log L)"] if law else []
    cols += ["quality"] if doc.pruned else []
    rows = []
    for k in doc.skills:
        more = [f"{k.tokens / max(1, k.tokens_scored or 0):.0%}", f"{k.attribution_mean:+.3g}"] if sel else []
        more += [round(k.bimix.alpha, 3), round(k.bimix.r2, 3)] if law and k.bimix else []
        more += [f"{k.quality:.3f}{' (pruned)' if k.skill in doc.pruned.skills else ''}"] if doc.pruned else []
        rows.append([k.skill, k.label, k.tokens, round(k.weight, 4), *more])
    rows.append(["", "sum", sum(k.tokens for k in doc.skills), round(sum(doc.weights), 4)])
    sec = Section("mixture", f"{doc.method} mixture {doc.fingerprint}", tables=[("weight per skill", cols, rows)])
    if law:
        h = law.holdout
        pred = ", ".join(f"{n} {v:.4f}" for n, v in law.predicted_mean.items())
        held_out = f"{h.mixture}, predicted with mean abs. error {h.mape:.2%} ({h.mape_final:.2%} at its last step)"
        sec.facts += [("BiMix proxy runs", len(law.proxies)), ("held-out mixture", held_out),
                      (f"predicted mean loss at {law.target_steps} steps", pred)]  # fmt: skip
    if doc.swarm:
        sec.facts += swarm_facts(doc.swarm)
    if doc.pruned:
        sec.facts += [("pruned for quality", f"{len(doc.pruned.skills)} skills with a mean quality score below "
                       f"{doc.pruned.min_skill_quality} ({doc.pruned.weight_before:.1%} of the weight before): "
                       + (", ".join(map(str, doc.pruned.skills)) or "none"))]  # fmt: skip
    if sel:
        target = sel.target if isinstance(sel.target, str) else ", ".join(sel.target)
        sec.facts += [("DsDm selection", f"{sel.scope}, target {target}: {sel.documents:,} of {sel.documents_scored:,} "
                                         f"documents, {sel.tokens:,} of {sel.tokens_scored:,} tokens (score: higher "
                                         "= more beneficial)")]  # fmt: skip
    return sec


def swarm_facts(s: SwarmLaw) -> list[tuple[str, object]]:
    """A swarm law's family and cross-validation, its proposal's prediction and the constraints that bind."""
    chosen = sorted(set(s.chosen.values()))
    cv = ", ".join(f"{c} {v.spearman:.3f}" for c, v in s.cv_mean.items())
    pred = ", ".join(f"{n} {v:.4f}" for n, v in s.predicted.items())
    rounds = ", ".join(f"{r['runs']}" for r in s.rounds) if s.rounds else str(s.runs)
    binding = "; ".join(f"{k}: {', '.join(v)}" for k, v in s.binding.items()) or "none"
    return [("law", f"{s.family} (per metric: {', '.join(chosen)}), {s.how} optimum"),
            ("swarm runs (per round)", rounds),
            (f"k-fold mean Spearman on the objective's {len(s.objective_metrics)} metrics ({s.folds} folds)", cv),
            (f"predicted objective ({s.objective})", pred), ("binding constraints", binding)]  # fmt: skip


def mixtures(docs: list[MixtureDoc]) -> Section:
    """Every mixture of a run side by side."""
    names = [f"{d.method}{' + dsdm' if d.selection else ''} {d.fingerprint}" for d in docs]
    k = max(len(d.weights) for d in docs)
    rows = [[i, *[round(d.weights[i], 4) if i < len(d.weights) else "" for d in docs]] for i in range(k)]
    return Section("mixtures", "Mixtures", tables=[("weight per skill of every mixture of the run", ["skill", *names],
                                                    rows)])  # fmt: skip


def laws(docs: list[MixtureDoc]) -> Section:
    """Fitted laws: fit quality and the held-out check of each, the last one's predictions."""
    sec = Section("law", "BiMix law fit")
    for d in docs:
        a = d.law
        r2 = f"{min(a.r2_log_loss):.3f} - {max(a.r2_log_loss):.3f}"
        sec.facts += [(f"{d.fingerprint}: R^2 of log L per skill", r2),
                      (f"{d.fingerprint}: held-out {a.holdout.mixture} MAPE", f"{a.holdout.mape:.2%}"),
                      (f"{d.fingerprint}: target steps", a.target_steps)]  # fmt: skip
    last = docs[-1].law
    sec.tables = [("predicted mean loss at the target steps (and measured, for the design)",
                   ["mixture", "predicted", "measured"],
                   [[n, v, last.design[n].measured_final_mean if n in last.design else ""]
                    for n, v in last.predicted_mean.items()])]  # fmt: skip
    return sec


def manifest(m: Manifest, uri: str, verified: Verified | None = None) -> Section:
    sec = Section(
        "budget",
        f"manifest: {m.token_budget:,} tokens, seq_len {m.seq_len}",
        facts=[
            ("manifest", uri),
            ("mixture", f"{m.mixture['method']} {m.mixture['fingerprint']}"),
            ("token budget", m.token_budget),
            ("formats", ", ".join(m.formats)),
            ("sequence length", m.seq_len),
            ("tokenizer vocabulary", m.tokenizer.vocab_size),
        ],
        tables=[
            (
                "per skill",
                ["skill", "label", "weight", "available", "to draw", "repeat", "shards"],
                [
                    [
                        s.skill,
                        s.label,
                        round(s.weight, 4),
                        s.tokens_available,
                        s.tokens_to_draw,
                        f"{s.repeat_factor:.2f}x",
                        len(s.shards),
                    ]
                    for s in m.skills
                ],
            )
        ],
    )
    if verified is not None:
        sec.facts.append(("verified", checked(verified)))
    repeated = [str(s.skill) for s in m.skills if s.repeat_factor > 1]
    if repeated:
        sec.notes.append(f"repeated: skills {', '.join(repeated)} hold fewer tokens than their share of the budget; "
                         "the trainer draws them more than once (repeat factor above)")  # fmt: skip
    return sec


def checked(v: Verified) -> str:
    per_format = ", ".join(f"{f} {n:,}" for f, n in sorted(v.tokens.items()))
    return f"{v.shards} shards, {v.files} files, tokens ({per_format}) match the manifest"


def proxies(c: ProxiesComparison) -> Section:
    rows = [[r.mixture, round(r.mean, 4), round(r.std, 4), len(r.seeds),
             "" if r.mean_diff is None else f"{r.mean_diff:+.4f}",
             "" if r.wins is None else f"{r.wins}/{r.paired_seeds}"] for r in c.mixtures]  # fmt: skip
    return Section("proxies", f"proxy runs: average per-skill validation loss after {c.steps} steps", facts=[
        ("runs", len(c.runs)), ("manifest", c.manifest)],
        tables=[("per mixture", ["mixture", "mean", "std", "seeds", f"vs {c.baseline}" if c.baseline else "vs",
                                 "wins"], rows)])  # fmt: skip


def attribution(s: AttributionSummary) -> Section:
    names = list(s.targets)
    skills_ = next(iter(s.per_skill_mean.values()), {})
    rows = [[k, *[f"{s.per_skill_mean[n][k]:+.3g}" for n in names]] for k in skills_]
    sec = Section("attribution", f"attribution {s.fingerprint}", facts=[
        ("documents scored", s.documents), ("targets", ", ".join(f"{k} ({v} examples)" for k, v in s.targets.items())),
        ("proxies", f"{s.params.models} x {s.params.proxy.steps} steps"), ("seconds", s.seconds), ("sign", s.sign)],
        tables=[("mean score of each skill's documents", ["skill", *names], rows)])  # fmt: skip
    if s.surrogate is not None:
        surrogate(sec, s.surrogate)
    return sec


def surrogate(sec: Section, g: SurrogateSummary) -> None:
    """A surrogate's facts, its held-out agreement with TRAK per target and skill, and the loud line if weak."""
    rho = lambda v: "-" if v is None else f"{v:+.3f}"  # noqa: E731
    sec.facts += [("scored by TRAK (sample, stratified by skill)", g.scored_by["trak"]),
                  ("scored by the surrogate", g.scored_by["surrogate"]),
                  *[(f"seconds: {k}", v) for k, v in g.seconds.items()],
                  *[(f"documents/s: {k}", v) for k, v in g.docs_per_second.items()]]  # fmt: skip
    cands = list(g.targets[0].candidates)
    sec.tables.append(("surrogate vs TRAK, held-out Spearman on the sample (k-fold)",
                       ["target", "chosen", "overall", "within skills", "skill means alone",
                        *[f"cv {c}" for c in cands]],
                       [[t.target, t.chosen, rho(t.rho), rho(t.within_skill_rho), rho(t.skill_mean_rho),
                         *[rho(t.candidates[c].rho) for c in cands]] for t in g.targets]))  # fmt: skip
    skills_ = list(g.targets[0].per_skill)
    sec.tables.append(("surrogate vs TRAK per skill, held-out Spearman", ["skill", *[t.target for t in g.targets]],
                       [[k, *[rho(t.per_skill.get(k)) for t in g.targets]] for k in skills_]))  # fmt: skip
    if g.weak:
        from tasks.attribution.surrogate import weak_warning  # here: it imports scipy, which no other section needs

        sec.notes.append(weak_warning(g))


def attribution_skills(s: SkillAttributionSummary) -> Section:
    names = list(s.targets)
    cv = ", ".join(f"{n} {v:+.2f}" if v is not None else f"{n} -" for n, v in s.cv_spearman.items())
    rows = [[k.skill, k.label[:40], *[f"{k.benefit[n]:+.4f}" for n in names]] for k in s.skills]
    return Section("attribution-skills", f"attribution-skills {s.fingerprint}", facts=[
        ("runs", s.params.subsets), ("seconds", s.seconds),
        ("held-out Spearman of predicted vs measured target loss", cv), ("sign", s.sign)],
        tables=[("benefit per skill", ["skill", "label", *names], rows)])  # fmt: skip


def train(s: TrainSummary, out: str) -> Section:
    rows = [[k, round(v, 4), round(s.final_weights[int(k)], 4)] for k, v in s.final_val_loss.items()]
    rows.append(["mean", round(s.mean_final_val_loss, 4), ""])
    mixing = s.config["params"]["mixing"]["method"]
    return Section("train", f"{mixing} training: {s.steps} steps, {s.parameters:,} parameters", facts=[
        ("device", s.device), ("tokens per second", round(s.tokens_per_second or 0.0, 1)),
        ("metrics", f"{out}/metrics.parquet (+ training.png, summary.json, checkpoint.pt)")],
        tables=[("per skill", ["skill", "final validation loss", "final weight"], rows)])  # fmt: skip


def skills_graph(s: SkillsGraphSummary, out: str) -> Section:
    return Section("skills-graph", f"skills graph of {len(s.graph)} skills", facts=[
        ("density", round(s.density, 2)), ("base steps", s.base_steps), ("steps per skill", s.steps_per_skill),
        ("graph", f"{out}/graph.npy (+ graph.png)"), ("proxy runs", len(s.proxies))],
        notes=[f"use it with `skillmix train MANIFEST --mixing skillit --graph {out}/graph.npy`"])  # fmt: skip


def status(st: RunStatus) -> Section:
    """What is in a run: per stage its state, latest output and parameters; what a rerun would recompute."""
    rows = []
    for s in st.stages:
        latest = next((c for c in s.committed if c.latest), None)
        rows.append([s.stage, s.state, s.latest or "", len(s.committed), latest.params if latest else "",
                     latest.facts if latest else "", s.why])  # fmt: skip
    sec = Section(
        "status",
        f"status of {st.run}",
        tables=[
            ("stages", ["stage", "state", "latest", "committed", "parameters (not the defaults)", "holds", "why"], rows)
        ],
    )
    older = [[s.stage, c.fingerprint, c.params, c.facts] for s in st.stages for c in s.committed if not c.latest]
    if older:
        sec.tables.append(("other committed outputs (a rerun with their parameters reads them back)",
                           ["stage", "fingerprint", "parameters", "holds"], older))  # fmt: skip
    unfinished = [[s.stage, u.fingerprint, u.parts_committed, u.where] for s in st.stages for u in s.uncommitted]
    if unfinished:
        sec.tables.append(("interrupted: started, not committed (a rerun reads back the parts committed)",
                           ["stage", "fingerprint", "parts committed", "where"], unfinished))  # fmt: skip
    sec.facts.append(("a rerun of `skillmix run` recomputes", ", ".join(st.rerun) or "nothing"))
    sec.notes.append(st.rerun_why)
    return sec
