"""Prefect tasks for dedup: each calls one step of tasks.dedup.stage and returns a small ref.

Idempotency comes from the stage's `_SUCCESS` markers (NO_CACHE), as for ingest.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.config import DedupParams
from schemas.outputs import DedupSummary
from schemas.refs import DedupPlan, DedupRef, DocumentsRef, PartitionRef
from tasks.common import catalog
from tasks.common.prefect_tasks import outcome_artifact
from tasks.dedup import stage


@task(name="plan-dedup", cache_policy=NO_CACHE)
def plan_dedup(run: str, documents: DocumentsRef, params: DedupParams, against: DedupRef | None) -> DedupPlan:
    """The documents to dedup, the earlier run's index, and whether this dedup is already committed."""
    return stage.plan(run, documents, params, against)


@task(name="dedup-signatures", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="dedup-signatures-{k}")
def signature_partition(plan: DedupPlan, k: int, params: DedupParams) -> PartitionRef:
    """Digests, band keys and shingle sets of one documents partition."""
    return stage.signature_partition(plan, k, params)


@task(name="resolve-dedup", cache_policy=NO_CACHE)
def resolve_dedup(plan: DedupPlan, refs: list[PartitionRef], params: DedupParams, seconds: float) -> DedupRef:
    """Run-wide exact and near-duplicate decisions; attributes, index and report."""
    return _report(plan, stage.resolve(plan, refs, params, seconds).summary)


@task(name="load-dedup", cache_policy=NO_CACHE)
def load_dedup(plan: DedupPlan) -> DedupRef:
    """A dedup that already ran with these documents and params."""
    return _report(plan, catalog.need(plan.run, "dedup", plan.fingerprint).summary)


def _report(plan: DedupPlan, s: DedupSummary) -> DedupRef:
    stage.write_report(s, plan.report)
    outcome_artifact("dedup", s)
    return catalog.ref(plan.run, "dedup", plan.fingerprint)
