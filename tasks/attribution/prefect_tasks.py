"""Prefect task for attribution (one process: proxies train one after another, then featurise)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.config import AttributionParams, SkillAttributionParams
from tasks.attribution import stage


@task(name="attribute", cache_policy=NO_CACHE)
def attribute_task(run: str, targets: list[str], params: AttributionParams) -> dict:
    """Scores of every kept document towards each target (committed ones are read); the summary."""
    log = get_run_logger()
    return stage.attribute(run, targets, params, progress=log.info)


@task(name="attribute-skills", cache_policy=NO_CACHE)
def attribute_skills_task(run: str, targets: list[str], params: SkillAttributionParams) -> dict:
    """Each skill's benefit to each target by group-level datamodels (a committed one is read); the summary."""
    log = get_run_logger()
    return stage.attribute_skills(run, targets, params, progress=log.info)
