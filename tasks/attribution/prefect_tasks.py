"""Prefect tasks for attribution (one process: proxies train one after another, then featurise)."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.config import AttributionParams, SkillAttributionParams
from schemas.refs import AttributionRef, SkillAttributionRef, TokensRef
from tasks.attribution import stage
from tasks.common import catalog


@task(name="attribute", cache_policy=NO_CACHE)
def attribute_task(run: str, tokens: TokensRef, targets: list[str], params: AttributionParams) -> AttributionRef:
    """Scores of every kept document towards each target (committed ones are read)."""
    marker = stage.attribute(run, tokens, targets, params, progress=get_run_logger().info)
    return catalog.ref(run, "attribution", marker.fingerprint)


@task(name="attribute-skills", cache_policy=NO_CACHE)
def attribute_skills_task(run: str, tokens: TokensRef, targets: list[str],
                          params: SkillAttributionParams) -> SkillAttributionRef:  # fmt: skip
    """Each skill's benefit to each target by group-level datamodels (a committed one is read)."""
    marker = stage.attribute_skills(run, tokens, targets, params, progress=get_run_logger().info)
    return catalog.ref(run, "attribution-skills", marker.fingerprint)
