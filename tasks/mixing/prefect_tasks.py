"""Prefect task for the mix stage (one small run-wide step)."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import MixParams
from tasks.mixing import bimix_stage, stage


@task(name="mix", cache_policy=NO_CACHE)
def mix(run: str, params: MixParams) -> dict:
    """The mixture over the run's skills; mixture.json's content."""
    doc = stage.mixture(run, params)
    rows = [{"skill": s["skill"], "label": s["label"], "weight": round(s["weight"], 4), "tokens": s["tokens"]}
            for s in doc["skills"]]  # fmt: skip
    create_table_artifact(rows, key="mixture", description=f"{doc['method']} mixture of {run}")
    return doc


@task(name="plan-bimix", cache_policy=NO_CACHE)
def plan_bimix(run: str, params: MixParams) -> dict:
    """BiMix's design mixtures and the proxy runs they need."""
    return bimix_stage.plan(run, params)


@task(name="fit-bimix", cache_policy=NO_CACHE)
def fit_bimix(run: str, params: MixParams, plan: dict, summaries: list[dict]) -> dict:
    """Fit the law to the proxies' curves and write its optimal mixture; a table artifact of the fit."""
    doc = bimix_stage.fit(run, params, plan, summaries)
    rows = [{"skill": s["skill"], "label": s["label"], "weight": round(s["weight"], 4),
             "r2": round(s["bimix"]["r2"], 4), "alpha": round(s["bimix"]["alpha"], 4)}
            for s in doc["skills"]]  # fmt: skip
    create_table_artifact(rows, key="bimix", description=f"BiMix mixture of {run}: held-out MAPE "
                          f"{doc['law']['holdout']['mape']:.4f}")  # fmt: skip
    return doc
