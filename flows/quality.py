"""Quality: dedup's kept documents -> per-partition statistics and language -> the rules -> attributes/quality."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import QualityParams
from schemas.refs import DedupRef, QualityRef
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest
from tasks.quality.prefect_tasks import load_quality, plan_quality, resolve_quality, stats_partition


@flow(name="quality", task_runner=task_runner(), log_prints=True)
def quality(run: str, dedup: DedupRef, params: QualityParams = QualityParams()) -> QualityRef:
    """Quality and language statistics beside dedup's kept documents, and the rules' keep decisions."""
    start = time.monotonic()
    plan = plan_quality(run, dedup, params)
    if plan.done:
        print(f"quality: already committed with these documents and rules: {plan.out}")
        return advance_latest(load_quality(plan))
    described = "; ".join(r.describe() for r in params.rules) or "none (statistics only)"
    print(f"quality: rules: {described}")
    parts = range(len(dedup.documents.documents.partitions))
    refs = tracked(stats_partition.map(unmapped(plan), parts), "quality")
    ref = resolve_quality(plan, refs, params, time.monotonic() - start)
    s = catalog.summary(ref)
    print(f"quality: statistics {s.statistics_computed:,} computed now, {s.statistics_reused:,} reused")
    drops = ", ".join(f"{r.reason} {r.documents:,}" for r in s.rules if r.documents) or "none"
    print(
        f"quality: {s.documents_in:,} documents = {s.kept:,} kept + {s.dropped:,} dropped (dedup "
        f"{s.dropped_by_reason['exact_duplicate'] + s.dropped_by_reason['near_duplicate']:,}; {drops}) -> {plan.out}"
    )
    return advance_latest(ref)
