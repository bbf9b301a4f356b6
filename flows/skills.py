"""Skills: kept documents -> per-partition embeddings -> run-wide k-means (or groups), SemDeDup -> attributes/skills."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import EmbedParams, SkillsParams
from tasks.skills.prefect_tasks import cluster_skills, embed_partition, load_skills, plan_skills


@flow(name="skills", task_runner=task_runner(), log_prints=True)
def skills(run: str, embed: EmbedParams = EmbedParams(), params: SkillsParams = SkillsParams()) -> dict:
    """Embed the run's kept documents (only those not embedded before with this model) and group them into
    skills; returns the summary."""
    start = time.monotonic()
    plan = plan_skills(run, embed, params)
    if plan.done:
        summary = load_skills(plan)
        print(f"skills: already committed with these documents, model and params: {plan.attributes_uri}")
        return summary
    parts = range(len(plan.documents.partitions))
    refs = tracked(embed_partition.map(unmapped(plan), parts, unmapped(embed)), "skills")
    s = cluster_skills(plan, refs, embed, params, time.monotonic() - start)
    print(f"skills: {s['documents_in']:,} documents ({s['embedded']:,} embedded, {s['reused']:,} reused) "
          f"-> {s['k']} skills ({s['method']}) -> {plan.attributes_uri}")  # fmt: skip
    if a := s["agreement"]:
        print(f"skills: against {a['field']}: purity {a['purity']:.3f}, NMI {a['nmi']:.3f}")
    return s
