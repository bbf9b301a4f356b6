"""Ingest: raw files -> documents/<fp>/ and rejected/<fp>/ parquet partitions, one task per file."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import IngestParams
from schemas.refs import DocumentsRef
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest
from tasks.ingest.prefect_tasks import commit_ingest, ingest_file, load_ingest, plan_ingest


@flow(name="ingest", task_runner=task_runner(), log_prints=True)
def ingest(inputs: list[str], run: str, params: IngestParams = IngestParams()) -> DocumentsRef:
    """Ingest JSONL(.gz/.zst), Parquet and text-file directories into `run`; a no-op when committed."""
    start = time.monotonic()
    plan = plan_ingest(inputs, run, params)
    if plan.done:
        ref = load_ingest(plan)
        print(f"ingest: already committed with these inputs and params: {plan.out}")
    else:
        staged = tracked(ingest_file.map(unmapped(plan), range(len(plan.files)), unmapped(params)), "ingest")
        ref = commit_ingest(plan, staged, params, time.monotonic() - start)
        s = catalog.summary(ref)
        print(f"ingest: {s.records:,} records = {s.kept:,} kept + {s.rejected:,} rejected -> {plan.out}")
    return advance_latest(ref)


if __name__ == "__main__":  # python -m flows.ingest INPUT... RUN
    import sys

    ingest(sys.argv[1:-1], sys.argv[-1])
