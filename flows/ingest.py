"""Ingest: raw files -> documents/<fp>/ and rejected/<fp>/ parquet partitions, one task per file."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import IngestParams
from schemas.refs import IngestResult
from tasks.ingest.prefect_tasks import commit_ingest, ingest_file, load_ingest, plan_ingest


@flow(name="ingest", task_runner=task_runner(), log_prints=True)
def ingest(inputs: list[str], run: str, params: IngestParams = IngestParams()) -> IngestResult:
    """Ingest JSONL(.gz/.zst), Parquet and text-file directories into `run`; a no-op when committed."""
    start = time.monotonic()
    plan = plan_ingest(inputs, run, params)
    if plan.done:
        result = load_ingest(plan)
        print(f"ingest: already committed with these inputs and params: {plan.documents_uri}")
        return result
    staged = tracked(ingest_file.map(unmapped(plan), range(len(plan.files)), unmapped(params)), "ingest")
    result = commit_ingest(plan, staged, params, time.monotonic() - start)
    s = result.summary
    print(f"ingest: {s['records']:,} records = {s['kept']:,} kept + {s['rejected']:,} rejected -> {plan.documents_uri}")
    return result


if __name__ == "__main__":  # python -m flows.ingest INPUT... RUN
    import sys

    ingest(sys.argv[1:-1], sys.argv[-1])
