"""Prefect tasks for dedup: each calls one step of tasks.dedup.stage and returns a small ref.

Idempotency comes from the stage's `_SUCCESS` markers (NO_CACHE), as for ingest.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import DedupParams
from schemas.refs import DedupPlan, PartitionRef
from tasks.dedup import stage


@task(name="plan-dedup", cache_policy=NO_CACHE)
def plan_dedup(run: str, params: DedupParams, against: str | None) -> DedupPlan:
    """The documents to dedup, the earlier run's index, and whether this dedup is already committed."""
    return stage.plan(run, params, against)


@task(name="dedup-signatures", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="dedup-signatures-{k}")
def signature_partition(plan: DedupPlan, k: int, params: DedupParams) -> PartitionRef:
    """Digests, band keys and shingle sets of one documents partition."""
    return stage.signature_partition(plan, k, params)


@task(name="resolve-dedup", cache_policy=NO_CACHE)
def resolve_dedup(plan: DedupPlan, refs: list[PartitionRef], params: DedupParams, seconds: float) -> dict:
    """Run-wide exact and near-duplicate decisions; attributes, index and report."""
    marker = stage.resolve(plan, refs, params, seconds)
    _report(plan, marker)
    return marker["summary"]


@task(name="load-dedup", cache_policy=NO_CACHE)
def load_dedup(plan: DedupPlan) -> dict:
    """The summary of a dedup that already ran with these documents and params."""
    marker = stage.committed(plan)
    _report(plan, marker)
    return marker["summary"]


def _report(plan: DedupPlan, marker: dict) -> None:
    stage.write_report(marker["summary"], plan.report_uri)
    stage.mark_latest(plan)
    s = marker["summary"]
    rows = [{"outcome": "kept", "documents": s["kept"]}]
    rows += [{"outcome": f"dropped: {k}", "documents": v} for k, v in s["dropped_by_reason"].items()]
    create_table_artifact(rows, key="dedup-counts", description=f"dedup {s['fingerprint']} of {s['run']}")
