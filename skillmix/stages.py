"""One command per curation stage: `skillmix ingest`, `dedup`, `quality`, `skills`, `tokens`, `mix`, `emit`.

Each resolves the stage's inputs as the run catalog's latest outputs of the stages before it, runs the stage's flow
and prints its summary. Options take their defaults and help from schemas/config.py. Heavy imports (Prefect, Dask,
torch) happen inside the commands, so `skillmix --help` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from schemas.config import (
    BiMixParams,
    DedupParams,
    EmbedParams,
    EmitParams,
    IngestParams,
    LawParams,
    MinHashParams,
    MixParams,
    QualityParams,
    SkillsParams,
    TokensParams,
    TrainParams,
)
from skillmix import show
from skillmix.app import app, checked, console, fail, latest, local_api, validated, with_progress
from skillmix.options import (
    INPUTS_HELP,
    AgainstOpt,
    DaskOpt,
    FiltersOpt,
    FilterSourceOpt,
    MiB,
    RunOpt,
    WorkersOpt,
    default,
    integers,
    listed,
    option,
    quality_params,
    skills_k,
)

PANEL = "one stage"


@app.command(rich_help_panel=PANEL)
def ingest(
    inputs: Annotated[list[str], typer.Argument(help=INPUTS_HELP)],
    run: RunOpt,
    text_field: Annotated[str, option(IngestParams, "text_field")] = default(IngestParams, "text_field"),
    id_field: Annotated[str, option(IngestParams, "id_field", note="'' = always hash")] = default(IngestParams,
                                                                                                  "id_field"),
    source_field: Annotated[str, option(IngestParams, "source_field", note="'' = the file's name")] = default(
        IngestParams, "source_field"),
    max_doc_mb: Annotated[float, option(IngestParams, "max_doc_bytes", note="MB")] = default(
        IngestParams, "max_doc_bytes") / MiB,
    partition_mb: Annotated[float, option(IngestParams, "partition_bytes", note="MB")] = default(
        IngestParams, "partition_bytes") / MiB,
    max_reject_fraction: Annotated[float, option(IngestParams, "max_reject_fraction")] = default(
        IngestParams, "max_reject_fraction"),
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:  # fmt: skip
    """Read raw files into RUN/documents/ (parquet) and RUN/rejected/ (one reason per bad record)."""
    options = dict(
        text_field=text_field, id_field=id_field, source_field=source_field,
        max_doc_bytes=int(max_doc_mb * MiB), partition_bytes=int(partition_mb * MiB),
        max_reject_fraction=max_reject_fraction,
    )  # fmt: skip
    params = validated("ingest", lambda: IngestParams(**{k: (None if v == "" else v) for k, v in options.items()}))
    from flows.ingest import ingest as ingest_flow
    from flows.runtime import task_runner
    from tasks.common import catalog, io
    from tasks.report import sections

    checked(io.discover, inputs)  # fail before starting Prefect or Dask on a typo'd path or unknown format
    local_api(dask_address)
    flow = ingest_flow.with_options(task_runner=task_runner(dask_address, workers))
    ref = with_progress(run, ["ingest"], flow, inputs, run, params)
    show.section(console, sections.ingest(catalog.summary(ref)))
    console.print(f"rejected:  {ref.rejected.uri}\nsummary:   {catalog.report(run, 'ingest')}/summary.json "
                  "(+ ingest.png)")  # fmt: skip


@app.command(rich_help_panel=PANEL)
def dedup(
    run: RunOpt,
    against: AgainstOpt = None,
    threshold: Annotated[float, option(MinHashParams, "threshold")] = default(MinHashParams, "threshold"),
    shingle: Annotated[str, option(MinHashParams, "shingle")] = default(MinHashParams, "shingle"),
    ngram: Annotated[int, option(MinHashParams, "ngram")] = default(MinHashParams, "ngram"),
    num_perm: Annotated[int, option(MinHashParams, "num_perm")] = default(MinHashParams, "num_perm"),
    bands: Annotated[int | None, option(MinHashParams, "bands")] = default(MinHashParams, "bands"),
    rows: Annotated[int | None, option(MinHashParams, "rows")] = default(MinHashParams, "rows"),
    hash_: Annotated[str, option(MinHashParams, "hash", "--hash")] = default(MinHashParams, "hash"),
    verify: Annotated[bool, option(DedupParams, "verify")] = default(DedupParams, "verify"),
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Find exact and near duplicates (MinHash-LSH) of RUN's documents -> RUN/attributes/dedup/."""
    params = validated("dedup", lambda: DedupParams(
        minhash=MinHashParams(threshold=threshold, shingle=shingle, ngram=ngram, num_perm=num_perm,
                              bands=bands, rows=rows, hash=hash_),
        verify=verify,
    ))  # fmt: skip
    from flows.dedup import dedup as dedup_flow
    from flows.runtime import task_runner
    from tasks.common import catalog
    from tasks.report import sections

    documents = latest(run, "ingest")
    prior = latest(against, "dedup") if against else None
    local_api(dask_address)
    flow = dedup_flow.with_options(task_runner=task_runner(dask_address, workers))
    ref = with_progress(run, ["dedup"], flow, run, documents, params, prior)
    show.section(console, sections.dedup(catalog.summary(ref)))
    console.print(f"summary:    {catalog.report(run, 'dedup')}/summary.json (+ dedup.png)")


@app.command(rich_help_panel=PANEL)
def quality(
    run: RunOpt,
    filters: FiltersOpt = None,
    filter_source: FilterSourceOpt = None,
    examples: Annotated[int, option(QualityParams, "examples", min=0, max=20)] = default(QualityParams, "examples"),
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Quality and language statistics of RUN's kept documents (DataTrove's Gopher, C4 and FineWeb statistics,
    fastText lid.176) and the --filters rules over them -> RUN/attributes/quality/."""
    params = quality_params(filters, filter_source, examples)
    from flows.quality import quality as quality_flow
    from flows.runtime import task_runner
    from tasks.common import catalog
    from tasks.quality import stage as quality_stage
    from tasks.report import sections

    deduped = latest(run, "dedup")
    checked(quality_stage.check_sources, deduped.documents.documents.partitions, params)  # before a server starts
    local_api(dask_address)
    flow = quality_flow.with_options(task_runner=task_runner(dask_address, workers))
    ref = with_progress(run, ["quality"], flow, run, deduped, params)
    show.section(console, sections.quality(catalog.summary(ref)))
    console.print(f"summary:    {catalog.report(run, 'quality')}/summary.json (+ quality.png, quality_stats.png)")


@app.command(rich_help_panel=PANEL)
def skills(
    run: RunOpt,
    k: Annotated[str, typer.Option("--k", help="number of skills, or auto: method merge cuts the merge tree at its "
                                   "largest gap, kmeans takes the best silhouette, among --k-candidates")] = "auto",
    k_candidates: Annotated[str, option(SkillsParams, "k_candidates")] = listed(default(SkillsParams, "k_candidates")),
    method: Annotated[str, option(SkillsParams, "method")] = default(SkillsParams, "method"),
    fine_k: Annotated[int | None, option(SkillsParams, "fine_k")] = default(SkillsParams, "fine_k"),
    lexical_weight: Annotated[float, option(SkillsParams, "lexical_weight")] = default(SkillsParams,
                                                                                       "lexical_weight"),
    format_weight: Annotated[float, option(SkillsParams, "format_weight")] = default(SkillsParams, "format_weight"),
    group_by: Annotated[str | None, option(SkillsParams, "group_by")] = default(SkillsParams, "group_by"),
    model: Annotated[str, option(EmbedParams, "model")] = default(EmbedParams, "model"),
    max_seq_length: Annotated[int | None, option(EmbedParams, "max_seq_length")] = default(EmbedParams,
                                                                                             "max_seq_length"),
    backend: Annotated[str, option(EmbedParams, "backend")] = default(EmbedParams, "backend"),
    precision: Annotated[str, option(EmbedParams, "precision")] = default(EmbedParams, "precision"),
    pooling: Annotated[str, option(EmbedParams, "pooling")] = default(EmbedParams, "pooling"),
    max_chunks: Annotated[int, option(EmbedParams, "max_chunks")] = default(EmbedParams, "max_chunks"),
    device: Annotated[str, option(EmbedParams, "device")] = default(EmbedParams, "device"),
    batch_size: Annotated[int, option(EmbedParams, "batch_size")] = default(EmbedParams, "batch_size"),
    semdedup_eps: Annotated[float | None, option(SkillsParams, "semdedup_eps")] = default(SkillsParams,
                                                                                          "semdedup_eps"),
    label_field: Annotated[str, option(SkillsParams, "label_field", note="'' = none")] = default(SkillsParams,
                                                                                                  "label_field"),
    seed: Annotated[int, option(SkillsParams, "seed")] = default(SkillsParams, "seed"),
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:  # fmt: skip
    """Embed RUN's kept documents and group them into skills -> RUN/attributes/skills/, skills.json, report."""
    from tasks.skills import backends, encoder

    n = skills_k(k)
    candidates = integers(k_candidates, "--k-candidates", "skills")
    embed = validated("embedding", lambda: EmbedParams(model=model, max_seq_length=max_seq_length, backend=backend,
                                                       precision=precision, pooling=pooling, max_chunks=max_chunks,
                                                       device=device, batch_size=batch_size))  # fmt: skip
    params = validated("skills", lambda: SkillsParams(
        method=method, k=n, k_candidates=candidates, fine_k=fine_k, lexical_weight=lexical_weight,
        format_weight=format_weight,
        group_by=group_by or None, seed=seed, semdedup_eps=semdedup_eps, label_field=label_field or None))  # fmt: skip
    checked(encoder.model_path, embed.model)  # a missing model fails before Prefect or Dask start
    if embed.backend != "torch":
        checked(backends.require, embed.backend)  # and a backend whose package is missing
    from flows.runtime import task_runner
    from flows.skills import skills as skills_flow
    from tasks.common import catalog
    from tasks.report import sections

    filtered = latest(run, "quality")
    local_api(dask_address)
    flow = skills_flow.with_options(task_runner=task_runner(dask_address, workers))
    ref = with_progress(run, ["skills"], flow, run, filtered, embed, params)
    s = catalog.summary(ref)
    show.section(console, sections.skills(s, catalog.skill_entries(ref)))
    console.print(f"report:     {catalog.report(run, 'skills')}/ (summary.json, skills.json, skills_map.png, "
                  "skill_sizes.png" + (", skills_vs_label.png" if s.agreement else "")
                  + (", skills_tree.png)" if s.fine_k else ")"))  # fmt: skip


@app.command(rich_help_panel=PANEL)
def tokens(
    run: RunOpt,
    tokenizer: Annotated[str | None, option(TokensParams, "tokenizer")] = default(TokensParams, "tokenizer"),
    vocab_size: Annotated[int, option(TokensParams, "vocab_size")] = default(TokensParams, "vocab_size"),
    eos_token: Annotated[str, option(TokensParams, "eos_token")] = default(TokensParams, "eos_token"),
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Train (or load) a tokenizer, tokenize RUN's kept documents, per-skill token statistics -> attributes/tokens/."""
    params = validated("tokens", lambda: TokensParams(tokenizer=tokenizer, vocab_size=vocab_size, eos_token=eos_token))
    from flows.runtime import task_runner
    from flows.tokens import tokens as tokens_flow
    from tasks.common import catalog
    from tasks.report import sections

    skilled = latest(run, "skills")
    local_api(dask_address)
    flow = tokens_flow.with_options(task_runner=task_runner(dask_address, workers))
    ref = with_progress(run, ["tokens"], flow, run, skilled, params)
    show.section(console, sections.tokens(catalog.summary(ref)))
    console.print(f"tokenizer:  {ref.tokenizer}")


def bimix_params(steps: int, eval_every: int | None = None, preset: str = "tiny", **kw) -> BiMixParams:
    """BiMixParams whose proxies train `steps` steps, evaluated every `eval_every` (default: ten evaluations), with
    warmup a tenth of the steps (at most 20)."""
    proxy = TrainParams(preset=preset, steps=steps, warmup=min(20, steps // 10), eval_every=eval_every or
                        max(1, steps // 10))  # fmt: skip
    return BiMixParams(proxy=proxy, **kw)


BIMIX = default(MixParams, "bimix")
LAW = LawParams()


@app.command(rich_help_panel=PANEL)
def mix(
    run: RunOpt,
    method: Annotated[str, option(MixParams, "method")] = default(MixParams, "method"),
    temperature: Annotated[float, option(MixParams, "temperature")] = default(MixParams, "temperature"),
    select: Annotated[str, option(MixParams, "select")] = default(MixParams, "select"),
    keep: Annotated[float, option(MixParams, "keep")] = default(MixParams, "keep"),
    target: Annotated[str | None, option(MixParams, "target")] = default(MixParams, "target"),
    design: Annotated[str, option(BiMixParams, "design", note="BiMix; comma-separated")] = listed(BIMIX.design),
    holdout: Annotated[str, option(BiMixParams, "holdout", note="BiMix")] = BIMIX.holdout,
    proxy_steps: Annotated[int, option(TrainParams, "steps", min=1, note="BiMix's proxies")] = BIMIX.proxy.steps,
    eval_every: Annotated[int, option(TrainParams, "eval_every", min=1, note="BiMix's proxies")] = (
        BIMIX.proxy.eval_every),
    seeds: Annotated[str, option(BiMixParams, "seeds", note="BiMix; comma-separated")] = listed(BIMIX.seeds),
    target_steps: Annotated[int | None, option(BiMixParams, "target_steps", note="BiMix")] = BIMIX.target_steps,
    preset: Annotated[str, option(TrainParams, "preset", note="BiMix's and the law's proxies")] = BIMIX.proxy.preset,
    runs: Annotated[int, option(LawParams, "runs", note="law")] = LAW.runs,
    rounds: Annotated[int, option(LawParams, "rounds", note="law")] = LAW.rounds,
    family: Annotated[str, option(LawParams, "family", note="law")] = LAW.family,
    objective: Annotated[str, option(LawParams, "objective", note="law")] = LAW.objective,
    targets: Annotated[list[str] | None, typer.Option(help="law: target JSONL files (one object per line with a "
                       "'text'; as `skillmix attribution` takes them); each proxy's loss on them is a metric")] = None,
    max_repeat: Annotated[float, option(LawParams, "max_repeat", note="law")] = LAW.max_repeat,
    budget: Annotated[int | None, option(LawParams, "budget", note="law")] = LAW.budget,
    kl: Annotated[float, option(LawParams, "kl", note="law")] = LAW.kl,
    min_skill_quality: Annotated[float | None, option(MixParams, "min_skill_quality")] = None,
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:  # fmt: skip
    """Weights over RUN's skills (and a DsDm selection of documents) -> RUN/mix/<fp>/mixture.json."""
    seed_list = integers(seeds, "--seeds", "mix")

    def build() -> MixParams:
        bimix = bimix_params(proxy_steps, eval_every, preset, design=tuple(d.strip() for d in design.split(",")
                             if d.strip()), holdout=holdout, seeds=seed_list, target_steps=target_steps)  # fmt: skip
        law = LawParams(runs=runs, rounds=rounds, family=family, objective=objective, max_repeat=max_repeat,
                        budget=budget, kl=kl, proxy=bimix.proxy) if method == "law" else None  # fmt: skip
        return MixParams(method=method, temperature=temperature, select=select, keep=keep, target=target, bimix=bimix,
                         law=law, min_skill_quality=min_skill_quality)  # fmt: skip

    params = validated("mix", build)
    from flows.mix import mix as mix_flow
    from tasks.common import catalog
    from tasks.mix import stage as mix_stage
    from tasks.report import sections

    tokened = latest(run, "tokens")
    attribution = None
    if params.selects:  # before a server starts: is there an attribution of these tokens?
        attribution = latest(run, "attribution")
        checked(mix_stage.check_attribution, tokened, attribution)
    trains = params.method in ("bimix", "law")
    manifest = latest(run, "emit") if trains else None
    if params.method == "law":  # before a server starts: targets readable, the objective one the swarm will have
        from tasks.attribution.targets import read_targets
        from tasks.mix import law_stage

        names = checked(read_targets, targets) if targets else {}
        if params.law.objective not in ("mean", "target", *(f"target_{n}_loss" for n in names)) and not (
                params.law.objective.startswith("skill_")):  # fmt: skip
            fail(f"invalid mix option: --objective {params.law.objective!r}: mean, target, or a metric name")
        if params.law.objective == "target" and not names:
            fail("invalid mix option: --objective target needs --targets files")
        checked(law_stage.first_round, tokened, manifest, params)
    local_api(dask_address)
    ref = with_progress(run, ["proxies"] if trains else [], mix_flow, run, tokened, params, attribution, manifest,
                        dask_address=dask_address, workers=workers, targets=list(targets or []))  # fmt: skip
    show.section(console, sections.mixture(catalog.summary(ref)))
    console.print(f"mixture: {ref.mixture_json}")


@app.command(rich_help_panel=PANEL)
def emit(
    run: RunOpt,
    seq_len: Annotated[int, option(EmitParams, "seq_len")] = default(EmitParams, "seq_len"),
    token_budget: Annotated[int | None, option(EmitParams, "token_budget")] = default(EmitParams, "token_budget"),
    formats: Annotated[str, option(EmitParams, "formats", note="comma-separated")] = listed(default(EmitParams,
                                                                                                     "formats")),
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:  # fmt: skip
    """Per-skill shards (Megatron .bin/.idx, MDS, flat .bin) and manifest.json -> RUN/emit/<fp>/."""
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    params = validated("emit", lambda: EmitParams(seq_len=seq_len, token_budget=token_budget, formats=fmts))
    from flows.emit import emit as emit_flow
    from flows.runtime import task_runner
    from tasks.common import catalog
    from tasks.report import sections

    mixture = latest(run, "mix")
    local_api(dask_address)
    ref = checked(emit_flow.with_options(task_runner=task_runner(dask_address, workers)), run, mixture, params)
    show.section(console, sections.manifest(catalog.summary(ref), ref.manifest))
    console.print(f"check it:  skillmix verify {ref.manifest}")
