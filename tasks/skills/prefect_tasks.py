"""Prefect tasks for skills: each calls one step of tasks.skills.stage and returns a small ref.

Idempotency comes from the stage's `_SUCCESS` markers (NO_CACHE), as for ingest and dedup.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import EmbedParams, SkillsParams
from schemas.outputs import SkillsSummary
from schemas.refs import PartitionRef, QualityRef, SkillsPlan, SkillsRef
from tasks.common import catalog, io
from tasks.skills import stage
from tasks.skills import summary as ssummary


@task(name="plan-skills", cache_policy=NO_CACHE)
def plan_skills(run: str, quality: QualityRef, embed: EmbedParams, params: SkillsParams) -> SkillsPlan:
    """The kept documents, the model's identity, and whether these skills are already committed."""
    return stage.plan(run, quality, embed, params)


@task(name="embed-partition", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="embed-partition-{k}")
def embed_partition(plan: SkillsPlan, k: int, embed: EmbedParams) -> PartitionRef:
    """Embeddings of one documents partition's kept documents (reused where this model already made them)."""
    return stage.embed_partition(plan, k, embed)


@task(name="cluster-skills", cache_policy=NO_CACHE)
def cluster_skills(plan: SkillsPlan, refs: list[PartitionRef], embed: EmbedParams, params: SkillsParams,
                   seconds: float) -> SkillsRef:  # fmt: skip
    """Run-wide: skills, SemDeDup, labels, report."""
    return _report(plan, stage.resolve(plan, refs, embed, params, seconds).summary)


@task(name="load-skills", cache_policy=NO_CACHE)
def load_skills(plan: SkillsPlan) -> SkillsRef:
    """Skills already computed for these documents, model and params."""
    return _report(plan, catalog.need(plan.run, "skills", plan.fingerprint).summary)


def _report(plan: SkillsPlan, s: SkillsSummary) -> SkillsRef:
    figures = stage.write_report(plan, s)
    ref = catalog.ref(plan.run, "skills", plan.fingerprint)
    skills = catalog.skill_entries(ref)
    text = ssummary.markdown(s, skills)
    text += "\nFigures: " + ", ".join(f"`{io.join(plan.report, f)}`" for f in figures) + "\n"
    create_markdown_artifact(text, key="skills", description=f"skills {plan.fingerprint} of {plan.run}")
    return ref
