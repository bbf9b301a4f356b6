"""Prefect tasks for skills: each calls one step of tasks.skills.stage and returns a small ref.

Idempotency comes from the stage's `_SUCCESS` markers (NO_CACHE), as for ingest and dedup.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import EmbedParams, SkillsParams
from schemas.refs import PartitionRef, SkillsPlan
from tasks.common import io
from tasks.skills import stage
from tasks.skills import summary as ssummary


@task(name="plan-skills", cache_policy=NO_CACHE)
def plan_skills(run: str, embed: EmbedParams, params: SkillsParams) -> SkillsPlan:
    """The kept documents, the model's identity, and whether these skills are already committed."""
    return stage.plan(run, embed, params)


@task(name="embed-partition", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="embed-partition-{k}")
def embed_partition(plan: SkillsPlan, k: int, embed: EmbedParams) -> PartitionRef:
    """Embeddings of one documents partition's kept documents (reused where this model already made them)."""
    return stage.embed_partition(plan, k, embed)


@task(name="cluster-skills", cache_policy=NO_CACHE)
def cluster_skills(plan: SkillsPlan, refs: list[PartitionRef], embed: EmbedParams, params: SkillsParams,
                   seconds: float) -> dict:  # fmt: skip
    """Run-wide: skills, SemDeDup, labels, report."""
    marker = stage.resolve(plan, refs, embed, params, seconds)
    _report(plan, marker)
    return marker["summary"]


@task(name="load-skills", cache_policy=NO_CACHE)
def load_skills(plan: SkillsPlan) -> dict:
    """The summary of skills already computed for these documents, model and params."""
    marker = stage.committed(plan)
    _report(plan, marker)
    return marker["summary"]


def _report(plan: SkillsPlan, marker: dict) -> None:
    figures = stage.write_report(plan, marker["summary"])
    stage.mark_latest(plan)
    skills = io.read_json(io.join(plan.attributes_uri, "skills.json"))["skills"]
    text = ssummary.markdown(marker["summary"], skills)
    text += "\nFigures: " + ", ".join(f"`{io.join(plan.report_uri, f)}`" for f in figures) + "\n"
    create_markdown_artifact(text, key="skills", description=f"skills {plan.fingerprint} of {plan.run}")
