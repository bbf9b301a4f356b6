"""Skills: kept documents (attributes/quality) -> per-partition embeddings -> run-wide k-means (or groups),
SemDeDup -> attributes/skills."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import EmbedParams, SkillsParams
from schemas.refs import QualityRef, SkillsRef
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest
from tasks.skills.prefect_tasks import cluster_skills, embed_partition, load_skills, plan_skills


@flow(name="skills", task_runner=task_runner(), log_prints=True)
def skills(run: str, quality: QualityRef, embed: EmbedParams = EmbedParams(),
           params: SkillsParams = SkillsParams()) -> SkillsRef:  # fmt: skip
    """Embed the documents dedup and the quality rules kept (only those not embedded before with this model) and
    group them into skills."""
    start = time.monotonic()
    plan = plan_skills(run, quality, embed, params)
    if plan.done:
        ref = load_skills(plan)
        print(f"skills: already committed with these documents, model and params: {plan.out}")
        return advance_latest(ref)
    if plan.export:
        how = "exported now to" if plan.exported_now else "reused from"
        print(f"skills: {embed.backend} model {how} {plan.export}")
    parts = range(len(plan.documents.partitions))
    refs = tracked(embed_partition.map(unmapped(plan), parts, unmapped(embed)), "skills")
    ref = cluster_skills(plan, refs, embed, params, time.monotonic() - start)
    s = catalog.summary(ref)
    print(f"skills: {s.documents_in:,} documents ({s.embedded:,} embedded, {s.reused:,} reused) "
          f"-> {s.k} skills ({s.method}) -> {plan.out}")  # fmt: skip
    if a := s.agreement:
        print(f"skills: against {a.field}: purity {a.purity:.3f}, NMI {a.nmi:.3f}")
    return advance_latest(ref)
