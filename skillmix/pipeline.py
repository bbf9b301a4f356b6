"""The whole curation in one command: `skillmix run` (the curate flow: every stage to a verified manifest and the
run report), `skillmix demo` (the same on the bundled sample corpus) and `skillmix sample-corpus`.

Everything these commands do beyond printing happens in flows.curate, so a deployment of it gives the same.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from schemas.config import EmitParams, IngestParams, MixParams, PipelineParams, SampleCorpusParams, TrainParams
from skillmix import show
from skillmix.app import app, checked, console, fail, latest, local_api, validated, with_progress
from skillmix.options import (
    INPUTS_HELP,
    AgainstOpt,
    DaskOpt,
    FiltersOpt,
    FilterSourceOpt,
    RunOpt,
    WorkersOpt,
    default,
    option,
    quality_params,
    skills_k,
)
from skillmix.stages import bimix_params

PANEL = "whole pipeline"

CURATE_STAGES = ["ingest", "dedup", "quality", "skills", "tokens"]


def _from_file(path: str | None) -> PipelineParams:
    """A PipelineParams preset (YAML or JSON, as deployments/params/ holds), or the defaults."""
    if path is None:
        return PipelineParams()
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        fail(f"--params {path}: cannot read it ({e})")
    return validated("--params", lambda: PipelineParams.model_validate(data))


@app.command(rich_help_panel=PANEL)
def run(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP)],
    run: RunOpt,
    params_file: Annotated[str | None, typer.Option("--params", help="a PipelineParams preset (YAML or JSON, as in "
                                                    "deployments/params/); the options below override it")] = None,
    source_field: Annotated[str | None, option(IngestParams, "source_field", note="'' = the file's name",
                                               show_default=str(default(IngestParams, "source_field")))] = None,
    k: Annotated[str | None, typer.Option("--k", help="number of skills or 'auto'", show_default="auto")] = None,
    mixture: Annotated[str | None, option(MixParams, "method", show_default=default(MixParams, "method"))] = None,
    proxy_steps: Annotated[int | None, option(TrainParams, "steps", min=1, note="--mixture bimix's proxies",
                                              show_default=str(default(MixParams, "bimix").proxy.steps))] = None,
    seq_len: Annotated[int | None, option(EmitParams, "seq_len", show_default=str(default(EmitParams,
                                                                                            "seq_len")))] = None,
    filters: FiltersOpt = None,
    filter_source: FilterSourceOpt = None,
    against: AgainstOpt = None,
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:  # fmt: skip
    """The whole curate flow: ingest -> dedup -> quality -> skills -> tokens -> mix -> emit, ending in a verified
    manifest and the run report."""
    base = _from_file(params_file)

    def build() -> PipelineParams:
        up: dict = {}
        if source_field is not None:
            up["ingest"] = base.ingest.model_copy(update={"source_field": source_field or None})
        if k is not None:
            up["skills"] = base.skills.model_copy(update={"k": skills_k(k)})
        if mixture is not None or proxy_steps is not None:
            bimix = bimix_params(proxy_steps) if proxy_steps is not None else base.mix.bimix
            up["mix"] = base.mix.model_copy(update={"method": mixture or base.mix.method, "bimix": bimix})
        if seq_len is not None:
            up["emit"] = base.emit.model_copy(update={"seq_len": seq_len})
        if filters or filter_source:
            up["quality"] = quality_params(filters, filter_source, base.quality.examples)
        return PipelineParams.model_validate(base.model_copy(update=up).model_dump())

    params = validated("run", build)
    from tasks.common import io

    checked(io.discover, inputs)
    if against:
        latest(against, "dedup")
    local_api(dask_address)
    curated(run, inputs, params, dask_address, workers, against)


def curated(run: str, inputs: list[str], params: PipelineParams, dask_address, workers, against=None):
    """Run the curate flow with progress bars; print every stage's summary, the verification and the report."""
    from flows.curate import curate
    from tasks.common import catalog
    from tasks.report import sections

    stages = CURATE_STAGES + (["proxies"] if params.mix.method == "bimix" else [])
    result = with_progress(run, stages, curate, inputs, run, params, dask_address, workers, against)
    m = result.manifest
    t = m.mixture.tokens
    s = t.skills
    q = s.quality
    for sec in (sections.ingest(catalog.summary(q.documents)), sections.dedup(catalog.summary(q.dedup)),
                sections.quality(catalog.summary(q)),
                sections.skills(catalog.summary(s), catalog.skill_entries(s)),
                sections.tokens(catalog.summary(t)), sections.mixture(catalog.summary(m.mixture)),
                sections.manifest(catalog.summary(m), m.manifest, result.verified)):  # fmt: skip
        show.section(console, sec)
    console.print(f"[green]verified[/]: {sections.checked(result.verified)} (skillmix verify {m.manifest})")
    console.print(f"report: {result.report.html}")
    return result


@app.command(rich_help_panel=PANEL)
def demo(
    run: Annotated[str, typer.Option("--run", help="run directory")] = "runs/demo",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """The main job: the sample corpus through every stage to a verified manifest; prints where the results are."""
    from tasks.common import catalog
    from tasks.sample import corpus

    start = time.monotonic()
    corpus_uri = catalog.input_file(run, "sample-corpus.jsonl")
    with console.status("building the sample corpus from this Python installation"):
        recs, _ = corpus.write(corpus_uri, SampleCorpusParams())
    console.print(f"[bold]sample corpus[/]: {len(recs):,} documents -> {corpus_uri}")
    params = PipelineParams(ingest=IngestParams(source_field="domain"))
    local_api(dask_address)
    result = curated(run, [corpus_uri], params, dask_address, workers)
    console.rule("results")
    m = result.manifest
    s = m.mixture.tokens.skills
    rows = [("documents", s.quality.documents.uri), ("rejected", s.quality.documents.rejected.uri),
            ("dedup", s.quality.dedup.uri), ("quality", s.quality.uri), ("skills", s.uri),
            ("tokens", m.mixture.tokens.uri),
            ("mixture", m.mixture.mixture_json), ("manifest", m.manifest), ("run report", result.report.html),
            ("stage reports", f"{catalog.report(run)}/<stage>/ (summary.json + figures)"),
            ("what is in it", f"skillmix status --run {run}")]  # fmt: skip
    for name, uri in rows:
        console.print(f"{name:>14}: {uri}")
    console.print(f"demo finished in {time.monotonic() - start:.0f} s")


@app.command("sample-corpus", rich_help_panel=PANEL)
def sample_corpus(
    out: Annotated[str, typer.Argument(help="output .jsonl or .jsonl.gz file (a directory gets sample-corpus.jsonl)")],
    max_mb: Annotated[float, option(SampleCorpusParams, "max_bytes", note="MB")] = default(
        SampleCorpusParams, "max_bytes") / (1 << 20),
    chunk_chars: Annotated[int, option(SampleCorpusParams, "chunk_chars")] = default(SampleCorpusParams, "chunk_chars"),
) -> None:  # fmt: skip
    """Build the offline sample corpus from text this Python installation carries (code, docs, READMEs, licences)."""
    from tasks.common import io
    from tasks.sample import corpus

    if Path(out).is_dir():
        out = str(Path(out) / "sample-corpus.jsonl")
    params = validated("sample-corpus", lambda: SampleCorpusParams(max_bytes=int(max_mb * (1 << 20)),
                                                                   chunk_chars=chunk_chars))  # fmt: skip
    with console.status("collecting stdlib code, docs, package READMEs and licences"):
        recs, changed = corpus.write(out, params)
    by_domain: dict[str, int] = {}
    for r in recs:
        by_domain[r["domain"]] = by_domain.get(r["domain"], 0) + 1
    size = len(io.read_bytes(out))
    note = "written" if changed else "unchanged (identical file already there)"
    console.print(f"{out}: {len(recs):,} documents, {size / 1e6:.1f} MB, {note}")
    console.print("domains: " + ", ".join(f"{k} {v:,}" for k, v in by_domain.items()))
