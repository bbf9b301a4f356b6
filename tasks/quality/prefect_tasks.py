"""Prefect tasks for the quality stage: each calls one step of tasks.quality.stage and returns a small ref.

Idempotency comes from the stage's `_SUCCESS` markers (NO_CACHE), as for dedup.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.config import QualityParams
from schemas.outputs import QualitySummary
from schemas.refs import DedupRef, PartitionRef, QualityPlan, QualityRef
from tasks.common import catalog
from tasks.common.prefect_tasks import outcome_artifact
from tasks.quality import stage


@task(name="plan-quality", cache_policy=NO_CACHE)
def plan_quality(run: str, dedup: DedupRef, params: QualityParams) -> QualityPlan:
    """dedup's kept documents, where their statistics go, and whether this quality run is already committed."""
    return stage.plan(run, dedup, params)


@task(name="quality-stats", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="quality-stats-{k}")
def stats_partition(plan: QualityPlan, k: int) -> PartitionRef:
    """Statistics and language of one documents partition's kept documents."""
    return stage.stats_partition(plan, k)


@task(name="resolve-quality", cache_policy=NO_CACHE)
def resolve_quality(plan: QualityPlan, refs: list[PartitionRef], params: QualityParams, seconds: float) -> QualityRef:
    """The rules over every document's statistics; attributes and report."""
    return _report(plan, stage.resolve(plan, refs, params, seconds).summary)


@task(name="load-quality", cache_policy=NO_CACHE)
def load_quality(plan: QualityPlan) -> QualityRef:
    """A quality run already committed with these documents and params."""
    return _report(plan, catalog.need(plan.run, "quality", plan.fingerprint).summary)


def _report(plan: QualityPlan, s: QualitySummary) -> QualityRef:
    stage.write_report(s, plan.report)
    outcome_artifact("quality", s)
    return catalog.ref(plan.run, "quality", plan.fingerprint)
