"""Prefect tasks for ingest: each calls one step of tasks.ingest.stage and returns a small ref.

Idempotency comes from the stage's `_SUCCESS` markers, not Prefect's cache (NO_CACHE), so a rerun
or a retried task skips committed work wherever its results are stored.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import IngestParams
from schemas.outputs import IngestSummary
from schemas.refs import DocumentsRef, FileResult, IngestPlan
from tasks.common import catalog
from tasks.ingest import stage


@task(name="plan-ingest", cache_policy=NO_CACHE)
def plan_ingest(inputs: list[str], run: str, params: IngestParams) -> IngestPlan:
    """Input files, fingerprint, and whether this exact ingest is already committed."""
    return stage.plan(inputs, run, params)


@task(name="ingest-file", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="ingest-file-{index}")
def ingest_file(plan: IngestPlan, index: int, params: IngestParams) -> FileResult:
    """Stage one input file's documents and rejects."""
    dst, progress = stage.file_uri(plan, index), stage.progress_uri(plan, index)
    return stage.ingest_file(plan.files[index], dst, params, progress)


@task(name="commit-ingest", cache_policy=NO_CACHE)
def commit_ingest(plan: IngestPlan, results: list[FileResult], params: IngestParams, seconds: float) -> DocumentsRef:
    """Run-wide id check, publish documents/ and rejected/, write the report."""
    return _report(plan, stage.commit(plan, results, params, seconds).summary)


@task(name="load-ingest", cache_policy=NO_CACHE)
def load_ingest(plan: IngestPlan) -> DocumentsRef:
    """The committed output of an ingest that already ran with these inputs and params."""
    return _report(plan, catalog.need(plan.run, "ingest", plan.fingerprint).summary)


def _report(plan: IngestPlan, s: IngestSummary) -> DocumentsRef:
    ref = catalog.ref(plan.run, "ingest", plan.fingerprint)
    stage.write_report(ref, s, plan.report)
    rows = [{"outcome": "kept", "records": s.kept}]
    rows += [{"outcome": f"rejected: {k}", "records": v} for k, v in s.rejected_by_reason.items() if v]
    create_table_artifact(rows, key="ingest-counts", description=f"ingest {s.fingerprint} of {s.run}")
    return ref
