"""Dedup: documents -> per-partition MinHash signatures -> run-wide exact/near decisions -> attributes/dedup."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import DedupParams
from schemas.refs import DedupRef, DocumentsRef
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest
from tasks.dedup import lsh
from tasks.dedup.prefect_tasks import load_dedup, plan_dedup, resolve_dedup, signature_partition


@flow(name="dedup", task_runner=task_runner(), log_prints=True)
def dedup(run: str, documents: DocumentsRef, params: DedupParams = DedupParams(),
          against: DedupRef | None = None) -> DedupRef:  # fmt: skip
    """Exact and near-duplicate decisions for `documents`; `against`: an earlier run's dedup whose kept documents
    win (that run is not modified)."""
    start = time.monotonic()
    plan = plan_dedup(run, documents, params, against)
    if plan.done:
        ref = load_dedup(plan)
        print(f"dedup: already committed with these documents and params: {plan.out}")
        return advance_latest(ref)
    bands, rows = lsh.band_rows(params.minhash)
    curve = ", ".join(f"J={j}: {p:.3f}" for j, p in lsh.s_curve(bands, rows).items())
    print(f"dedup: {bands} bands x {rows} rows; P(candidate | J): {curve}")
    parts = range(len(documents.documents.partitions))
    refs = tracked(signature_partition.map(unmapped(plan), parts, unmapped(params)), "dedup")
    ref = resolve_dedup(plan, refs, params, time.monotonic() - start)
    s = catalog.summary(ref)
    counts = f"{s.documents_in:,} documents = {s.kept:,} kept + {s.dropped:,} dropped"
    print(f"dedup: {counts} ({s.bands} x {s.rows} bands) -> {plan.out}")
    return advance_latest(ref)
