"""DsDm attribution commands: `skillmix attribution` (TRAK scores of every document towards target tasks) and
`skillmix attribution-skills` (each skill's benefit, from group-level datamodels). Options take their defaults and
help from schemas/config.py."""

from __future__ import annotations

from typing import Annotated

import typer

from schemas.config import SURROGATES, AttributionParams, SkillAttributionParams, SurrogateParams, TrainParams
from skillmix import show
from skillmix.app import app, checked, console, latest, local_api, validated, with_progress
from skillmix.options import RunOpt, default, listed, option

PANEL = "attribution"

PROXY = default(AttributionParams, "proxy")
GROUP_PROXY = default(SkillAttributionParams, "proxy")
DocSeqOpt = Annotated[int, typer.Option(help="tokens per document, its first ones: what proxies train on and score")]
TargetsOpt = Annotated[
    list[str], typer.Option("--targets", help="JSONL of target examples ('text', optional 'target'); repeatable")
]


def _proxy(preset: str, steps: int, **kw) -> TrainParams:
    """A short proxy run's TrainParams: warmup a tenth of the steps, at most 20."""
    return TrainParams(preset=preset, steps=steps, warmup=min(20, steps // 10), **kw)


@app.command(rich_help_panel=PANEL)
def attribution(
    run: RunOpt,
    targets: TargetsOpt,
    models: Annotated[int, option(AttributionParams, "models", min=1)] = default(AttributionParams, "models"),
    steps: Annotated[int, option(TrainParams, "steps", min=1, note="each proxy")] = PROXY.steps,
    preset: Annotated[str, option(TrainParams, "preset")] = PROXY.preset,
    seq_len: DocSeqOpt = PROXY.seq_len,
    proj_dim: Annotated[int | None, option(AttributionParams, "proj_dim")] = default(AttributionParams, "proj_dim"),
    projection: Annotated[str, option(AttributionParams, "projection")] = default(AttributionParams, "projection"),
    max_docs: Annotated[int | None, option(AttributionParams, "max_docs")] = default(AttributionParams, "max_docs"),
    seed: Annotated[int, option(AttributionParams, "seed")] = default(AttributionParams, "seed"),
    sample: Annotated[int | None, option(SurrogateParams, "sample", note="default: TRAK on every document")] = None,
    min_rho: Annotated[float, option(SurrogateParams, "min_rho")] = default(SurrogateParams, "min_rho"),
    surrogates: Annotated[str, option(SurrogateParams, "candidates", "--surrogates", note="comma-separated")] = (
        listed(SURROGATES)
    ),
) -> None:
    """DsDm attribution: score RUN's documents towards target tasks (TRAK on proxies); higher = more beneficial.
    With --sample N, TRAK scores N documents stratified by skill and a surrogate fitted to them the rest."""
    from flows.attribution import attribution as attribution_flow
    from tasks.attribution import stage
    from tasks.common import catalog
    from tasks.report import sections

    def build() -> AttributionParams:
        proxy = _proxy(preset, steps, seq_len=seq_len, seed=seed)
        chosen = tuple(c.strip() for c in surrogates.split(",") if c.strip())
        sur = None if sample is None else SurrogateParams(sample=sample, min_rho=min_rho, candidates=chosen)
        return AttributionParams(proxy=proxy, models=models, proj_dim=proj_dim, projection=projection,
                                 max_docs=max_docs, seed=seed, surrogate=sur)  # fmt: skip

    params = validated("attribution", build)
    checked(stage.read_targets, targets)  # before any server or model starts
    tokens = latest(run, "tokens")
    checked(stage.check_sample, tokens, params)
    local_api(None)
    ref = with_progress(run, ["attribution"], attribution_flow, run, tokens, targets, params)
    show.section(console, sections.attribution(catalog.summary(ref)))
    figures = "attribution.png" + (", surrogate.png" if params.surrogate else "")
    console.print(f"scores: {ref.scores.partitions[0].uri} (+ {catalog.report(run, 'attribution')}/{figures})")


@app.command("attribution-skills", rich_help_panel=PANEL)
def attribution_skills(
    run: RunOpt,
    targets: TargetsOpt,
    subsets: Annotated[int, option(SkillAttributionParams, "subsets", min=4)] = default(SkillAttributionParams,
                                                                                         "subsets"),
    steps: Annotated[int, option(TrainParams, "steps", min=1, note="each proxy")] = 100,
    preset: Annotated[str, option(TrainParams, "preset")] = GROUP_PROXY.preset,
    seq_len: DocSeqOpt = GROUP_PROXY.seq_len,
    seed: Annotated[int, option(SkillAttributionParams, "seed")] = default(SkillAttributionParams, "seed"),
) -> None:  # fmt: skip
    """Group-level datamodels: each skill's benefit to the targets, from proxies trained on random skill subsets."""
    from flows.attribution import attribution_skills as skills_flow
    from tasks.attribution import stage
    from tasks.common import catalog
    from tasks.report import sections

    def build() -> SkillAttributionParams:
        return SkillAttributionParams(proxy=_proxy(preset, steps, seq_len=seq_len, seed=seed), subsets=subsets,
                                      seed=seed)  # fmt: skip

    params = validated("attribution-skills", build)
    checked(stage.read_targets, targets)
    tokens = latest(run, "tokens")
    local_api(None)
    ref = with_progress(run, ["attribution-skills"], skills_flow, run, tokens, targets, params)
    show.section(console, sections.attribution_skills(catalog.summary(ref)))
    console.print(f"results: {ref.skills_json} (+ {catalog.report(run, 'attribution-skills')}/skills.png)")


# the earlier names of these commands, kept so scripts written for them still run
app.command("attribute", hidden=True)(attribution)
app.command("attribute-skills", hidden=True)(attribution_skills)
