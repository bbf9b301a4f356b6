"""`skillmix report`: RUN/report/<stage>/ summaries and figures, the run's mixtures and latest manifest ->
RUN/report/report.html (self-contained) and its Markdown twin. Reads files, writes the page; no Prefect."""

from __future__ import annotations

import numpy as np

from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.report.html import Section, markdown, render


def _summary(run: str, stage: str) -> dict | None:
    uri = io.join(run, "report", stage, "summary.json")
    return io.read_json(uri) if io.exists(uri) else None


def _figures(run: str, *names: tuple[str, str]) -> list[tuple[str, bytes]]:
    out = []
    for rel, caption in names:
        uri = io.join(run, "report", rel)
        if io.exists(uri):
            out.append((caption, io.read_bytes(uri)))
    return out


def _todo(section: Section, command: str) -> Section:
    section.missing = f"not run yet: {command}"
    return section


def ingest(run: str) -> Section:
    sec, s = Section("ingest", "Ingest"), _summary(run, "ingest")
    if s is None:
        return _todo(sec, f"skillmix ingest INPUT... --run {run}")
    sec.facts = [("input records", s["records"]), ("kept", s["kept"]), ("rejected", s["rejected"]),
                 ("counts add up", s["counts_add_up"]), ("bytes read", s["bytes_in"]),
                 ("input files", len(s["inputs"])), ("documents", s["documents"])]  # fmt: skip
    rejected = sorted((k, v) for k, v in s["rejected_by_reason"].items() if v) or [("none", 0)]
    sec.tables = [("rejected by reason", ["reason", "records"], rejected),
                  ("kept by source", ["source", "documents"], sorted(s["kept_by_source"].items()))]  # fmt: skip
    sec.figures = _figures(run, ("ingest/ingest.png", "ingest"))
    return sec


def dedup(run: str) -> Section:
    sec, s = Section("dedup", "Deduplication"), _summary(run, "dedup")
    if s is None:
        return _todo(sec, f"skillmix dedup --run {run}")
    sec.facts = [("documents in", s["documents_in"]), ("kept", s["kept"]), ("dropped", s["dropped"]),
                 ("counts add up", s["counts_add_up"]), ("LSH", f"{s['bands']} bands x {s['rows']} rows"),
                 ("candidate pairs", s["candidate_pairs"]), ("deduplicated against", s["against"] or "none"),
                 ("MinHash", f"{s['scheme']}, datasketch {s['datasketch']}")]  # fmt: skip
    sec.tables = [("dropped by reason", ["reason", "documents"], sorted(s["dropped_by_reason"].items()))]
    sec.figures = _figures(run, ("dedup/dedup.png", "dedup"))
    return sec


def skills(run: str) -> Section:
    sec, s = Section("skills", "Skills"), _summary(run, "skills")
    if s is None:
        return _todo(sec, f"skillmix skills --run {run}")
    entries = io.read_json(io.join(run, "report", "skills", "skills.json"))["skills"]
    sec.facts = [("skills", s["k"]), ("method", s["method"]), ("documents", s["documents_in"]),
                 ("embedded now / reused", f"{s['embedded']:,} / {s['reused']:,}")]  # fmt: skip
    sec.tables = [("skills", ["skill", "label", "documents", "share"],
                   [[e["id"], e["label"], e["documents"], round(e["share"], 4)] for e in entries])]  # fmt: skip
    sec.figures = _figures(
        run,
        ("skills/skills_map.png", "skill map (embeddings in 2-D)"),
        ("skills/skill_sizes.png", "skill sizes"),
        ("skills/skills_vs_label.png", "skills vs label"),
    )
    return sec


def skills_graph(run: str) -> Section:
    sec = Section("skills-graph", "Skills graph")
    sec.figures = _figures(run, ("skills-graph/graph.png", "Skill-It skills graph"))
    return sec if sec.figures else _todo(sec, f"skillmix skills-graph --run {run}")


def _mixtures(run: str) -> list[dict]:
    """The committed mixtures over the run's current skills (older ones were over other skills)."""
    skills = (_summary(run, "skills") or {}).get("fingerprint")
    docs = []
    for uri in io.glob(io.join(run, "mixture", "*", "mixture.json")):
        if io.committed(uri.rsplit("/", 1)[0]) is not None:
            doc = io.read_json(uri)
            if skills is None or doc["provenance"]["skills"] == skills:
                docs.append(doc)
    return sorted(docs, key=lambda d: (d["method"], d["fingerprint"]))


def mixtures(run: str, docs: list[dict]) -> Section:
    sec = Section("mixtures", "Mixtures")
    if not docs:
        return _todo(sec, f"skillmix mix --run {run} --method M")
    names = [f"{d['method']}{' + dsdm' if d.get('selection') else ''} {d['fingerprint']}" for d in docs]
    k = max(len(d["weights"]) for d in docs)
    sec.tables = [("weight per skill of every mixture of the run", ["skill", *names],
                   [[i, *[round(d["weights"][i], 4) if i < len(d["weights"]) else "" for d in docs]]
                    for i in range(k)])]  # fmt: skip
    sec.figures = [("weights of the run's mixtures", mixture_figure(names, [d["weights"] for d in docs]))]
    proxies = _summary(run, "proxies")
    if proxies:
        sec.tables.append(("proxy runs: average per-skill validation loss", ["mixture", "mean", "std", "seeds",
                           f"vs {proxies['baseline']}", "wins"],
                           [[r["mixture"], r["mean"], r["std"], len(r["seeds"]), r.get("mean_diff", ""),
                             f"{r['wins']}/{r['paired_seeds']}" if "wins" in r else ""]
                            for r in proxies["mixtures"]]))  # fmt: skip
        sec.figures += _figures(run, ("proxies/proxies.png", "proxy runs per mixture"))
    return sec


def mixture_figure(names: list[str], weights: list[list[float]]) -> bytes:
    """PNG: grouped bars, one group per skill, one bar per mixture."""
    plt = plots.pyplot()
    k = max(len(w) for w in weights)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * k * max(1, len(names)) / 2), 3.5))
    width = 0.8 / len(names)
    for j, (n, w) in enumerate(zip(names, weights, strict=True)):
        ax.bar(np.arange(len(w)) + j * width, w, width, label=n)
    ax.set_xticks(np.arange(k) + 0.4 - width / 2, [str(i) for i in range(k)])
    ax.set_xlabel("skill")
    ax.set_ylabel("weight")
    ax.legend(fontsize=6, ncol=2)
    return plots.png(fig)


def law(run: str, docs: list[dict]) -> Section:
    sec = Section("law", "BiMix law fit")
    fits = [d for d in docs if d.get("law")]
    if not fits:
        return _todo(sec, f"skillmix mix --run {run} --method bimix")
    for d in fits:
        a = d["law"]
        r2 = a["r2_log_loss"]
        sec.facts += [(f"{d['fingerprint']}: R^2 of log L per skill", f"{min(r2):.3f} - {max(r2):.3f}"),
                      (f"{d['fingerprint']}: held-out {a['holdout']['mixture']} MAPE", f"{a['holdout']['mape']:.2%}"),
                      (f"{d['fingerprint']}: target steps", a["target_steps"])]  # fmt: skip
    last = fits[-1]["law"]
    sec.tables = [("predicted mean loss at the target steps (and measured, for the design)", ["mixture",
                   "predicted", "measured"], [[n, v, last["design"].get(n, {}).get("measured_final_mean", "")]
                                             for n, v in last["predicted_mean"].items()])]  # fmt: skip
    sec.figures = _figures(run, ("mix/bimix.png", "measured and fitted curves per skill; held-out mixture"))
    return sec


def budget(run: str) -> Section:
    sec = Section("budget", "Token budget (latest manifest)")
    fp = io.latest(io.join(run, "shards"))
    if fp is None:
        return _todo(sec, f"skillmix emit --run {run}")
    uri = io.join(run, "shards", fp, "manifest.json")
    m = io.read_json(uri)
    sec.facts = [("manifest", uri), ("mixture", f"{m['mixture']['method']} {m['mixture']['fingerprint']}"),
                 ("token budget", m["token_budget"]), ("formats", ", ".join(m["formats"])),
                 ("sequence length", m["seq_len"]), ("tokenizer vocabulary", m["tokenizer"]["vocab_size"])]  # fmt: skip
    sec.tables = [("per skill", ["skill", "label", "weight", "tokens available", "tokens to draw", "repeat", "shards"],
                   [[s["skill"], s["label"], round(s["weight"], 4), s["tokens_available"], s["tokens_to_draw"],
                     s["repeat_factor"], len(s["shards"])] for s in m["skills"]])]  # fmt: skip
    return sec


def sections(run: str) -> list[Section]:
    docs = _mixtures(run)
    return [ingest(run), dedup(run), skills(run), skills_graph(run), mixtures(run, docs), law(run, docs), budget(run)]


def check(run: str) -> None:
    """Raise InputError unless some stage of `run` has reported."""
    if not io.exists(io.join(run, "report")):
        raise InputError(f"{run}: no stage has reported yet (no {io.join(run, 'report')}); run `skillmix run` or a "
                         "stage first")  # fmt: skip


def write(run: str) -> dict:
    """Write RUN/report/report.html and report.md; {html, markdown, markdown_text, sections: {id: present}}."""
    check(run)
    secs = sections(run)
    title = f"skillmix run report: {run}"
    page = render(title, "Every stage's counts, figures and the manifest's token budget.", secs)
    html_uri, md_uri = io.join(run, "report", "report.html"), io.join(run, "report", "report.md")
    md = markdown(title, secs)
    io.write_bytes(html_uri, page.encode())
    io.write_bytes(md_uri, md.encode())
    return {
        "html": html_uri,
        "markdown": md_uri,
        "markdown_text": md,
        "sections": {s.id: s.missing is None for s in secs},
    }
