"""Dedup: documents -> per-partition MinHash signatures -> run-wide exact/near decisions -> attributes/dedup."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import DedupParams
from tasks.dedup import lsh
from tasks.dedup.prefect_tasks import load_dedup, plan_dedup, resolve_dedup, signature_partition


@flow(name="dedup", task_runner=task_runner(), log_prints=True)
def dedup(run: str, params: DedupParams = DedupParams(), against: str | None = None) -> dict:
    """Exact and near-duplicate decisions for the run's latest documents; `against`: an earlier run to
    dedup against (its kept documents win; it is not modified). Returns the summary."""
    start = time.monotonic()
    plan = plan_dedup(run, params, against)
    if plan.done:
        summary = load_dedup(plan)
        print(f"dedup: already committed with these documents and params: {plan.attributes_uri}")
        return summary
    bands, rows = lsh.band_rows(params.minhash)
    curve = ", ".join(f"J={j}: {p:.3f}" for j, p in lsh.s_curve(bands, rows).items())
    print(f"dedup: {bands} bands x {rows} rows; P(candidate | J): {curve}")
    parts = range(len(plan.documents.partitions))
    refs = tracked(signature_partition.map(unmapped(plan), parts, unmapped(params)), "dedup")
    s = resolve_dedup(plan, refs, params, time.monotonic() - start)
    counts = f"{s['documents_in']:,} documents = {s['kept']:,} kept + {s['dropped']:,} dropped"
    print(f"dedup: {counts} ({s['bands']} x {s['rows']} bands) -> {plan.attributes_uri}")
    return s
