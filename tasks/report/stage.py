"""`skillmix report`: every stage's latest output (from the run catalog), rendered by tasks.report.sections with
the figures the stages wrote -> RUN/report/report.html (self-contained) and its Markdown twin. Reads files, writes
the page; no Prefect."""

from __future__ import annotations

import numpy as np

from schemas.mixture import MixtureDoc
from schemas.outputs import ReportPage, SkillsGraphSummary, Verified
from schemas.refs import SkillsRef, StageRef
from tasks.common import catalog, io, plots, views
from tasks.common.errors import InputError
from tasks.quality import summary as qsummary
from tasks.report import sections, status
from tasks.report.html import markdown, render
from tasks.report.sections import Section

TITLES = {"status": "Status", "ingest": "Ingest", "dedup": "Deduplication", "quality": "Quality",
          "skills": "Skills", "tokens": "Tokens",
          "mixtures": "Mixtures", "law": "BiMix law fit", "skills-graph": "Skills graph",
          "attribution": "Attribution", "budget": "Token budget (latest manifest)"}  # fmt: skip


def _latest(run: str, stage: str) -> StageRef | None:
    try:
        return catalog.latest(run, stage)
    except InputError:
        return None


def _figures(run: str, *names: tuple[str, str]) -> list[tuple[str, bytes]]:
    """(caption, PNG) of each `stage/file.png` a stage wrote into its report directory, where it exists."""
    out = []
    for rel, caption in names:
        stage, name = rel.split("/", 1)
        uri = io.join(catalog.report(run, stage), name)
        if io.exists(uri):
            out.append((caption, io.read_bytes(uri)))
    return out


def _titled(sec: Section, id_: str) -> Section:
    sec.id, sec.title = id_, f"{TITLES[id_]}" + (f": {sec.title}" if sec.title and not sec.missing else "")
    return sec


def _stage(run: str, stage: str, render_, figures: tuple = ()) -> Section:
    ref = _latest(run, stage)
    if ref is None:
        return _titled(sections.todo(stage, "", catalog.command(stage, run)), stage)
    sec = render_(ref)
    sec.figures = _figures(run, *figures)
    return _titled(sec, stage)


def _skills(ref: StageRef) -> Section:
    sec = sections.skills(catalog.summary(ref), catalog.skill_entries(ref))
    header, rows = quality_by_skill(ref)
    sec.tables.append(("quality by skill: means of the statistics over its documents, and its languages", header,
                       rows))  # fmt: skip
    return sec


def quality_by_skill(ref: SkillsRef) -> tuple[list[str], list[list]]:
    """The quality statistics' means and the language mix of each skill (a skill of low-quality pages shows)."""
    skill, t = views.skill_quality(ref.attributes.partitions, ref.quality.attributes.partitions,
                                   [*qsummary.BY_SKILL, "language"])  # fmt: skip
    return qsummary.by_skill(skill, t) if len(skill) else (["skill"], [])


def mixture_docs(run: str) -> list[MixtureDoc]:
    """The committed mixtures over the run's current skills (older ones were over other skills)."""
    skills = catalog.latest_fp(run, "skills")
    docs = [catalog.mixture_doc(catalog.mixture_json(run, fp)) for fp in catalog.fingerprints(run, "mix")]
    return sorted((d for d in docs if skills is None or d.provenance.skills == skills),
                  key=lambda d: (d.method, d.fingerprint))  # fmt: skip


def mixtures(run: str, docs: list[MixtureDoc]) -> Section:
    if not docs:
        return _titled(sections.todo("mixtures", "", f"skillmix mix --run {run} --method M"), "mixtures")
    sec = sections.mixtures(docs)
    sec.figures = [("weights of the run's mixtures", mixture_figure(sec.tables[0][1][1:], [d.weights for d in docs]))]
    if (ref := _latest(run, "proxies")) is not None:
        sec.tables += sections.proxies(catalog.summary(ref)).tables
        sec.figures += _figures(run, ("proxies/proxies.png", "proxy runs per mixture"))
    return _titled(sec, "mixtures")


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


def law(run: str, docs: list[MixtureDoc]) -> Section:
    """BiMix fits and swarm laws (method law): their fit quality, predictions and figures."""
    fits, swarms = [d for d in docs if d.law], [d for d in docs if d.swarm]
    if not fits and not swarms:
        return _titled(sections.todo("law", "", f"skillmix mix --run {run} --method law (or bimix)"), "law")
    sec = sections.laws(fits) if fits else sections.Section("law", "")
    sec.title = ""
    for d in swarms:
        sec.facts += [(f"{d.fingerprint}: {k}", v) for k, v in sections.swarm_facts(d.swarm)]
    sec.figures = _figures(run, ("mix/bimix.png", "measured and fitted curves per skill; held-out mixture"),
                           ("mix/law.png", "swarm law: measured vs out-of-fold predicted per metric"))  # fmt: skip
    return _titled(sec, "law")


def skills_graph(run: str) -> Section:
    uri = io.join(catalog.report(run, "skills-graph"), "summary.json")
    if not io.exists(uri):
        return _titled(sections.todo("skills-graph", "", f"skillmix skills-graph --run {run}"), "skills-graph")
    sec = sections.skills_graph(
        SkillsGraphSummary.model_validate(io.read_json(uri)), catalog.report(run, "skills-graph")
    )
    sec.figures = _figures(run, ("skills-graph/graph.png", "Skill-It skills graph"))
    return _titled(sec, "skills-graph")


def verified(run: str, fingerprint: str) -> Verified | None:
    """The verification the curate flow recorded, if it was of the emit `fingerprint` (by its directory's name, so a
    run directory that was moved keeps it)."""
    uri = io.join(catalog.report(run, "emit"), "verified.json")
    v = Verified.model_validate(io.read_json(uri)) if io.exists(uri) else None
    return v if v is not None and v.manifest.rsplit("/", 2)[-2] == fingerprint else None


def budget(run: str) -> Section:
    ref = _latest(run, "emit")
    if ref is None:
        return _titled(sections.todo("budget", "", f"skillmix emit --run {run}"), "budget")
    return _titled(sections.manifest(catalog.summary(ref), ref.manifest, verified(run, ref.fingerprint)), "budget")


def all_sections(run: str) -> list[Section]:
    docs = mixture_docs(run)
    return [
        _titled(sections.status(status.status(run)), "status"),
        _stage(run, "ingest", lambda r: sections.ingest(catalog.summary(r)), (("ingest/ingest.png", "ingest"),)),
        _stage(run, "dedup", lambda r: sections.dedup(catalog.summary(r)), (("dedup/dedup.png", "dedup"),)),
        _stage(run, "quality", lambda r: sections.quality(catalog.summary(r)),
               (("quality/quality.png", "documents dropped by each check, by source"),
                ("quality/quality_stats.png", "each statistic's distribution; red: a threshold in force, grey: a "
                 "preset's default"))),
        _stage(run, "skills", _skills, (("skills/skills_map.png", "skill map (embeddings in 2-D)"),
                                        ("skills/skill_sizes.png", "skill sizes"),
                                        ("skills/skills_vs_label.png", "skills vs label"),
                                        ("skills/skills_tree.png", "fine clusters merged into skills"))),
        _stage(run, "tokens", lambda r: sections.tokens(catalog.summary(r))),
        mixtures(run, docs),
        law(run, docs),
        skills_graph(run),
        _stage(run, "attribution", lambda r: sections.attribution(catalog.summary(r)),
               (("attribution/attribution.png", "attribution scores"),
                ("attribution/surrogate.png", "surrogate vs TRAK: held-out predictions and Spearman per skill"))),
        budget(run),
    ]  # fmt: skip


def check(run: str) -> None:
    """Raise InputError unless some stage of `run` has reported."""
    if not io.exists(catalog.report(run)):
        raise InputError(f"{run}: no stage has reported yet (no {catalog.report(run)}); run `skillmix run` or a "
                         "stage first")  # fmt: skip


def write(run: str) -> tuple[ReportPage, str]:
    """Write RUN/report/report.html and report.md; (what was written, the Markdown text)."""
    check(run)
    secs = all_sections(run)
    title = f"skillmix run report: {run}"
    page = render(title, "Every stage's counts, figures and the manifest's token budget.", secs)
    html_uri, md_uri = catalog.report_page(run), io.join(catalog.report(run), "report.md")
    md = markdown(title, secs)
    io.write_bytes(html_uri, page.encode())
    io.write_bytes(md_uri, md.encode())
    return ReportPage(html=html_uri, markdown=md_uri, sections={s.id: s.missing is None for s in secs}), md
