"""Prefect tasks for the mix stage: plan, a training-free or DsDm mixture, BiMix's design and fit."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import MixParams
from schemas.mixture import MixtureDoc
from schemas.outputs import ProxyRun
from schemas.refs import AttributionRef, ManifestRef, MixPlan, MixtureRef, ProxiesRef, ProxySpec, TokensRef
from tasks.common import catalog
from tasks.mix import bimix_stage, law_stage, stage


@task(name="plan-mix", cache_policy=NO_CACHE)
def plan_mix(run: str, tokens: TokensRef, params: MixParams, attribution: AttributionRef | None,
             manifest: ManifestRef | None = None, proxies: list[str] | None = None,
             inputs: list[str] | None = None) -> MixPlan:  # fmt: skip
    """Where the mixture goes, and whether it is committed."""
    return stage.plan(run, tokens, params, attribution, manifest, tuple(proxies or ()), tuple(inputs or ()))


@task(name="mix", cache_policy=NO_CACHE)
def mix(plan: MixPlan, params: MixParams) -> MixtureRef:
    """A training-free or DsDm mixture over the skills (read back when committed)."""
    return _published(plan, stage.mixture(plan, params))


@task(name="load-mix", cache_policy=NO_CACHE)
def load_mix(plan: MixPlan) -> MixtureRef:
    doc = stage.committed(plan)
    stage.write_report(plan, doc)
    return _published(plan, doc)


@task(name="bimix-design", cache_policy=NO_CACHE)
def bimix_design(tokens: TokensRef, manifest: ManifestRef, params: MixParams) -> list[ProxySpec]:
    """BiMix's design mixtures x seeds, as proxy runs on `manifest`."""
    return bimix_stage.design(tokens, manifest, params)


@task(name="fit-bimix", cache_policy=NO_CACHE)
def fit_bimix(plan: MixPlan, params: MixParams, specs: list[ProxySpec], proxies: ProxiesRef) -> MixtureRef:
    """Fit the law to the design's runs and write its optimal mixture; a table artifact of the fit."""
    runs: list[ProxyRun] = [catalog.proxy(r) for r in proxies.runs]
    doc = bimix_stage.fit(plan, params, specs, runs)
    rows = [{"skill": s.skill, "label": s.label, "weight": round(s.weight, 4), "r2": round(s.bimix.r2, 4),
             "alpha": round(s.bimix.alpha, 4)} for s in doc.skills]  # fmt: skip
    create_table_artifact(rows, key="bimix", description=f"BiMix mixture of {plan.run}: held-out MAPE "
                          f"{doc.law.holdout.mape:.4f}")  # fmt: skip
    return _published(plan, doc)


@task(name="law-targets", cache_policy=NO_CACHE)
def law_targets(tokens: TokensRef, files: list[str], params: MixParams) -> tuple[dict, str]:
    """The target files' examples as rows under the run's tokenizer (each proxy's loss on them is a metric), and
    their digest."""
    return law_stage.targets(tokens, files, params.law)


@task(name="law-round", cache_policy=NO_CACHE)
def law_round(tokens: TokensRef, manifest: ManifestRef, params: MixParams, specs: list[ProxySpec],
              runs: list[ProxyRun], rows: dict, round_no: int) -> list[ProxySpec]:  # fmt: skip
    """A round of the law's swarm: the first from the sampler, a later one near the law's predicted best."""
    if round_no == 1:
        return law_stage.first_round(tokens, manifest, params)
    return law_stage.next_round(tokens, manifest, params, specs, runs, rows, round_no)


@task(name="fit-law", cache_policy=NO_CACHE)
def fit_law(plan: MixPlan, params: MixParams, specs: list[ProxySpec], runs: list[ProxyRun], rows: dict) -> MixtureRef:
    """Fit the law to the swarm and write the mixture it proposes; a table artifact of its cross-validation."""
    doc = law_stage.fit(plan, params, specs, runs, rows)
    rows_cv = [{"candidate": c, "spearman": round(s.spearman, 4), "mae": round(s.mae, 4)}
               for c, s in doc.swarm.cv_mean.items()]  # fmt: skip
    create_table_artifact(rows_cv, key="law", description=f"law mixture of {plan.run}: {doc.swarm.family}, "
                          f"{doc.swarm.runs} runs")  # fmt: skip
    return _published(plan, doc)


def _published(plan: MixPlan, doc: MixtureDoc) -> MixtureRef:
    rows = [{"skill": s.skill, "label": s.label, "weight": round(s.weight, 4), "tokens": s.tokens} for s in doc.skills]
    create_table_artifact(rows, key="mixture", description=f"{doc.method} mixture of {plan.run}")
    return catalog.ref(plan.run, "mix", plan.fingerprint)
