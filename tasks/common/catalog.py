"""The run catalog: where each stage lives in a run directory, its marker, and which output is the latest.

The only module that spells the run layout (DESIGN.md "Run layout"); everything else asks it:

    documents/<fp>/ + rejected/<fp>/        ingest
    attributes/dedup/<fp>/ (+ index/)       dedup
    attributes/embeddings/<efp>/<dfp>/      skills: embeddings, reused by document across dedups
    attributes/skills/<fp>/                 skills (+ skills.json)
    tokens/<fp>/tokenizer.json              tokens: the tokenizer
    attributes/tokens/<fp>/                 tokens: token ids per documents partition
    attributes/attribution/<fp>/            attribution
    attribution-skills/<fp>/                attribution-skills
    mix/<fp>/mixture.json                   mix (+ selection.parquet)
    emit/<fp>/manifest.json                 emit, with the shards
    proxies/<fp>/comparison.json            proxies: a design's comparison
    proxies/runs/<fp>/                      proxies: one cached run
    work/<stage>/<fp>/                      intermediates, removed once the stage commits
    report/<stage>/, report/report.html     summaries, figures, the run report
    input/                                  the demo's sample corpus

A committed directory has a `_SUCCESS` marker (a model of schemas/outputs.py) naming the fingerprints it was made
from. `<stage folder>/_LATEST` holds the fingerprint later stages read; `advance` moves it, once per committed
stage, and nothing else does. `latest(run, stage)` resolves it into a typed ref that carries the chain of refs the
output was made from (the manifest's lineage).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from schemas.mixture import MixMarker, MixtureDoc
from schemas.outputs import (
    AttributionMarker,
    DedupIndexMarker,
    DedupMarker,
    EmitMarker,
    IngestMarker,
    Part,
    ProxiesMarker,
    ProxyRun,
    QualityMarker,
    RejectedMarker,
    SkillAttributionMarker,
    SkillEntry,
    SkillsDoc,
    SkillsMarker,
    TokensMarker,
)
from schemas.refs import (
    AttributionRef,
    DatasetRef,
    DedupRef,
    DocumentsRef,
    ManifestRef,
    MixtureRef,
    PartitionRef,
    ProxiesRef,
    ProxyRunRef,
    QualityRef,
    SkillAttributionRef,
    SkillsRef,
    StageRef,
    TokensRef,
)
from tasks.common import io
from tasks.common.errors import InputError

LATEST = "_LATEST"
FOLDERS = {  # the curate chain first, then the stages that read it
    "ingest": "documents",
    "dedup": "attributes/dedup",
    "quality": "attributes/quality",
    "skills": "attributes/skills",
    "tokens": "attributes/tokens",
    "mix": "mix",
    "emit": "emit",
    "attribution": "attributes/attribution",
    "attribution-skills": "attribution-skills",
    "proxies": "proxies",
}
STAGES = tuple(FOLDERS)
CHAIN = ("ingest", "dedup", "quality", "skills", "tokens", "mix", "emit")  # what `skillmix run` computes, in this order
UPSTREAM = {"dedup": "ingest", "quality": "dedup", "skills": "quality", "tokens": "skills", "attribution": "tokens",
            "attribution-skills": "tokens", "mix": "tokens", "emit": "mix", "proxies": "emit"}  # fmt: skip
MARKERS: dict[str, type[BaseModel]] = {
    "ingest": IngestMarker,
    "dedup": DedupMarker,
    "quality": QualityMarker,
    "skills": SkillsMarker,
    "tokens": TokensMarker,
    "attribution": AttributionMarker,
    "attribution-skills": SkillAttributionMarker,
    "mix": MixMarker,
    "emit": EmitMarker,
    "proxies": ProxiesMarker,
}
COMMANDS = {"ingest": "skillmix ingest INPUT... --run {run}", "attribution": "skillmix attribution --run {run} "
            "--targets FILE.jsonl", "attribution-skills": "skillmix attribution-skills --run {run} --targets "
            "FILE.jsonl", "proxies": "skillmix proxies --run {run} --mixture M"}  # fmt: skip
REFS: dict[type[StageRef], str] = {DocumentsRef: "ingest", DedupRef: "dedup", QualityRef: "quality",
                                   SkillsRef: "skills",
                                   TokensRef: "tokens", AttributionRef: "attribution",
                                   SkillAttributionRef: "attribution-skills", MixtureRef: "mix", ManifestRef: "emit",
                                   ProxiesRef: "proxies"}  # fmt: skip
M = TypeVar("M", bound=BaseModel)


def command(stage: str, run: str) -> str:
    """The command that makes `stage` in `run` (named in errors)."""
    return COMMANDS.get(stage, f"skillmix {stage} --run {{run}}").format(run=run)


# ---- where things are ----


def folder(run: str, stage: str) -> str:
    return io.join(run, FOLDERS[stage])


def out(run: str, stage: str, fp: str) -> str:
    """The directory stage `stage` commits fingerprint `fp` into."""
    return io.join(folder(run, stage), fp)


def work(run: str, stage: str, fp: str) -> str:
    return io.join(run, "work", stage, fp)


def report(run: str, stage: str | None = None) -> str:
    """RUN/report/<stage>/, or RUN/report/ itself."""
    return io.join(run, "report", stage) if stage else io.join(run, "report")


def places(run: str, stage: str, fp: str) -> dict[str, str]:
    """run, fingerprint, out, work and report of a stage plan."""
    return {"run": run.rstrip("/"), "fingerprint": fp, "out": out(run, stage, fp), "work": work(run, stage, fp),
            "report": report(run, stage)}  # fmt: skip


def rejected(run: str, fp: str) -> str:
    return io.join(run, "rejected", fp)


def embeddings_root(run: str, embed_fp: str) -> str:
    return io.join(run, "attributes", "embeddings", embed_fp)


def embeddings(run: str, embed_fp: str, dedup_fp: str) -> str:
    return io.join(embeddings_root(run, embed_fp), dedup_fp)


def quality_stats(run: str, stats_fp: str) -> str:
    """The quality statistics of dedup's kept documents, by statistics fingerprint (any rules reuse them)."""
    return io.join(run, "attributes", "quality-stats", stats_fp)


def tokenizer(run: str, fp: str) -> str:
    return io.join(run, "tokens", fp, "tokenizer.json")


def mixture_json(run: str, fp: str) -> str:
    return io.join(out(run, "mix", fp), "mixture.json")


def selection(run: str, fp: str) -> str:
    return io.join(out(run, "mix", fp), "selection.parquet")


def manifest(run: str, fp: str) -> str:
    return io.join(out(run, "emit", fp), "manifest.json")


def proxy_run(run: str, fp: str) -> str:
    return io.join(folder(run, "proxies"), "runs", fp)


def comparison(run: str, fp: str) -> str:
    return io.join(out(run, "proxies", fp), "comparison.json")


def input_file(run: str, name: str) -> str:
    """RUN/input/<name>: where the demo writes the corpus it curates."""
    return io.join(run, "input", name)


def report_page(run: str) -> str:
    return io.join(report(run), "report.html")


def progress_glob(run: str, stage: str) -> str:
    """Where the tasks of `stage` write their progress files (the CLI's bars read them)."""
    if stage == "proxies":
        return io.join(proxy_run(run, "*"), "progress", "*.json")
    return io.join(work(run, stage, "*"), "progress", "*.json")


# ---- markers and latest ----


def load(dir_uri: str, model: type[M]) -> M | None:
    """The typed `_SUCCESS` marker of a directory, or None when it is not committed."""
    raw = io.committed(dir_uri)
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise InputError(f"{dir_uri}: its {io.MARKER} was written by another version of skillmix ("
                         f"{str(e).splitlines()[0]}); rerun its stage into a new run directory") from e  # fmt: skip


def marker(run: str, stage: str, fp: str) -> BaseModel | None:
    return load(out(run, stage, fp), MARKERS[stage])


def advance(ref: StageRef) -> None:
    """Make a committed output the one later stages read. The only writer of `_LATEST`."""
    stage = REFS[type(ref)]
    if io.committed(out(ref.run, stage, ref.fingerprint)) is None:
        raise ValueError(f"{ref.uri}: not committed; only a committed {stage} output can become the latest")
    io.write_bytes(io.join(folder(ref.run, stage), LATEST), ref.fingerprint.encode())


def latest_fp(run: str, stage: str) -> str | None:
    pointer = io.join(folder(run, stage), LATEST)
    return io.read_bytes(pointer).decode().strip() if io.exists(pointer) else None


def fingerprints(run: str, stage: str) -> list[str]:
    """Every committed output of a stage, by fingerprint."""
    found = io.glob(io.join(folder(run, stage), "*", io.MARKER))
    return sorted(uri.rstrip("/").rsplit("/", 2)[-2] for uri in found)


def latest(run: str, stage: str) -> StageRef:
    """The typed ref of a stage's latest committed output, with the chain it was made from; an InputError naming
    the command to run when there is none."""
    fp = latest_fp(run, stage)
    if fp is None or io.committed(out(run, stage, fp)) is None:
        what = "no committed output" if fp is None else f"its latest output {out(run, stage, fp)} is not committed"
        raise InputError(f"{run}: {stage}: {what}; run `{command(stage, run)}` first")
    return ref(run, stage, fp)


def ref(run: str, stage: str, fp: str) -> StageRef:
    """The typed ref of committed output `fp` of `stage`."""
    return _BUILDERS[stage](run.rstrip("/"), fp)


def need(run: str, stage: str, fp: str) -> BaseModel:
    """The typed marker of committed output `fp` of `stage`; an InputError naming the command when there is none."""
    return _required(out(run, stage, fp), MARKERS[stage], run, stage)


def _required(dir_uri: str, model: type[M], run: str, stage: str) -> M:
    """The typed marker of a directory `stage` commits, or an InputError naming the command that writes it."""
    m = load(dir_uri, model)
    if m is None:
        raise InputError(f"{dir_uri}: not committed; rerun `{command(stage, run)}`")
    return m


def _dataset(uri: str, table: str, parts: list[Part]) -> DatasetRef:
    return DatasetRef(uri=uri, table=table, partitions=tuple(
        PartitionRef(uri=io.join(uri, p.name), num_rows=p.num_rows, table=table) for p in parts))  # fmt: skip


def _documents(run: str, fp: str) -> DocumentsRef:
    m = need(run, "ingest", fp)
    rej = _required(rejected(run, fp), RejectedMarker, run, "ingest")
    return DocumentsRef(run=run, fingerprint=fp, uri=out(run, "ingest", fp),
                        documents=_dataset(out(run, "ingest", fp), "documents", m.partitions),
                        rejected=_dataset(rejected(run, fp), "rejected", rej.partitions))  # fmt: skip


def _dedup(run: str, fp: str) -> DedupRef:
    m = need(run, "dedup", fp)
    uri = out(run, "dedup", fp)
    index = _required(io.join(uri, "index"), DedupIndexMarker, run, "dedup")
    return DedupRef(run=run, fingerprint=fp, uri=uri, attributes=_dataset(uri, "dedup", m.partitions),
                    index=_dataset(io.join(uri, "index"), "dedup_signatures", index.partitions),
                    documents=_documents(run, m.inputs["ingest"]))  # fmt: skip


def _quality(run: str, fp: str) -> QualityRef:
    m = need(run, "quality", fp)
    uri = out(run, "quality", fp)
    return QualityRef(run=run, fingerprint=fp, uri=uri, attributes=_dataset(uri, "quality", m.partitions),
                      dedup=_dedup(run, m.inputs["dedup"]))  # fmt: skip


def _skills(run: str, fp: str) -> SkillsRef:
    m = need(run, "skills", fp)
    uri = out(run, "skills", fp)
    return SkillsRef(run=run, fingerprint=fp, uri=uri, attributes=_dataset(uri, "skills", m.partitions),
                     skills_json=io.join(uri, "skills.json"), k=m.summary.k,
                     embeddings=_dataset(embeddings(run, m.summary.embed_fingerprint, m.inputs["quality"]),
                                         "embeddings", m.embeddings),
                     quality=_quality(run, m.inputs["quality"]))  # fmt: skip


def _tokens(run: str, fp: str) -> TokensRef:
    m = need(run, "tokens", fp)
    uri = out(run, "tokens", fp)
    t = m.summary.tokenizer
    return TokensRef(run=run, fingerprint=fp, uri=uri, attributes=_dataset(uri, "tokens", m.partitions),
                     tokenizer=tokenizer(run, fp), vocab_size=t.vocab_size, eos_id=t.eos_id,
                     skills=_skills(run, m.inputs["skills"]))  # fmt: skip


def _attribution(run: str, fp: str) -> AttributionRef:
    m = need(run, "attribution", fp)
    uri = out(run, "attribution", fp)
    return AttributionRef(run=run, fingerprint=fp, uri=uri, scores=_dataset(uri, "attribution", m.partitions),
                          documents=m.summary.documents, tokens=_tokens(run, m.inputs["tokens"]))  # fmt: skip


def _skill_attribution(run: str, fp: str) -> SkillAttributionRef:
    m = need(run, "attribution-skills", fp)
    uri = out(run, "attribution-skills", fp)
    return SkillAttributionRef(run=run, fingerprint=fp, uri=uri, skills_json=io.join(uri, "skills.json"),
                               tokens=_tokens(run, m.inputs["tokens"]))  # fmt: skip


def _mixture(run: str, fp: str) -> MixtureRef:
    m = need(run, "mix", fp)
    doc = mixture_doc(mixture_json(run, fp))
    return MixtureRef(run=run, fingerprint=fp, uri=out(run, "mix", fp), mixture_json=mixture_json(run, fp),
                      method=m.method, selection=selection(run, fp) if doc.selection else None,
                      tokens=_tokens(run, m.inputs["tokens"]),
                      attribution=_attribution(run, m.inputs["attribution"]) if "attribution" in m.inputs else None,
                      proxies=tuple(ProxyRunRef(fingerprint=p, uri=proxy_run(run, p)) for p in m.proxies or ()),
                      )  # fmt: skip


def _manifest(run: str, fp: str) -> ManifestRef:
    m = need(run, "emit", fp)
    return ManifestRef(run=run, fingerprint=fp, uri=out(run, "emit", fp), manifest=manifest(run, fp),
                       mixture=_mixture(run, m.inputs["mix"]))  # fmt: skip


def _proxies(run: str, fp: str) -> ProxiesRef:
    m = need(run, "proxies", fp)
    return ProxiesRef(run=run, fingerprint=fp, uri=out(run, "proxies", fp), comparison=comparison(run, fp),
                      manifest=_manifest(run, m.inputs["emit"]),
                      runs=tuple(ProxyRunRef(fingerprint=r, uri=proxy_run(run, r)) for r in m.runs))  # fmt: skip


_BUILDERS = {"ingest": _documents, "dedup": _dedup, "quality": _quality, "skills": _skills, "tokens": _tokens,
             "attribution": _attribution, "attribution-skills": _skill_attribution, "mix": _mixture,
             "emit": _manifest, "proxies": _proxies}  # fmt: skip


def mixture_doc(uri: str) -> MixtureDoc:
    """A mixture.json, typed."""
    try:
        return MixtureDoc.model_validate(io.read_json(uri))
    except ValidationError as e:
        raise InputError(f"{uri}: not a mixture.json of this version ({str(e).splitlines()[0]})") from e


def skill_entries(skills: SkillsRef) -> list[SkillEntry]:
    """The skills of a skills stage as skills.json describes them (labels, sizes, examples, centroids)."""
    return SkillsDoc.model_validate(io.read_json(skills.skills_json)).skills


def proxy(ref: ProxyRunRef) -> ProxyRun:
    """A committed proxy run's summary."""
    found = load(ref.uri, ProxyRun)
    if found is None:
        raise InputError(f"{ref.uri}: proxy run not committed; rerun the command that trains it")
    return found


def manifest_of(given: str) -> str:
    """A manifest.json as given, or a run directory's latest manifest (what its last emit wrote)."""
    if given.endswith(".json"):
        if not io.exists(given):
            raise InputError(f"{given}: no such manifest; give a manifest.json written by `skillmix emit` or a run")
        return given
    fp = latest_fp(given, "emit")
    if fp is None:
        raise InputError(f"{given}: no shards; run `skillmix emit --run {given}` first")
    return manifest(given, fp)


def summary(ref: StageRef) -> BaseModel:
    """What a committed output says of itself: its stage summary; a mixture's mixture.json, an emit's manifest, a
    proxies design's comparison."""
    from schemas.manifest import Manifest
    from schemas.outputs import ProxiesComparison

    stage = REFS[type(ref)]
    if stage == "mix":
        return mixture_doc(ref.mixture_json)
    if stage == "emit":
        return Manifest.model_validate(io.read_json(ref.manifest))
    if stage == "proxies":
        return ProxiesComparison.model_validate(io.read_json(ref.comparison))
    return need(ref.run, stage, ref.fingerprint).summary
