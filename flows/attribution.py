"""Attribution: a run's tokenized kept documents + target examples -> attributes/attribution (doc_id, target,
score; higher = more beneficial), DsDm's TRAK datamodels on proxies trained on random halves."""

from __future__ import annotations

from prefect import flow

from schemas.config import AttributionParams, SkillAttributionParams
from tasks.attribution.prefect_tasks import attribute_skills_task, attribute_task


@flow(name="attribution", log_prints=True)
def attribution(run: str, targets: list[str], params: AttributionParams = AttributionParams()) -> dict:
    """Score the run's documents towards each target in `targets` (JSONL files); returns the summary."""
    s = attribute_task(run, targets, params)
    print(f"attribution: {s['documents']:,} documents x {len(s['targets'])} targets -> {s['fingerprint']}")
    return s


@flow(name="attribution-skills", log_prints=True)
def attribution_skills(run: str, targets: list[str], params: SkillAttributionParams = SkillAttributionParams()) -> dict:
    """Each skill's benefit to each target (group-level datamodels over random skill subsets); the summary."""
    s = attribute_skills_task(run, targets, params)
    print(f"attribution-skills: {len(s['skills'])} skills x {len(s['targets'])} targets, {params.subsets} runs; "
          f"held-out Spearman {s['cv_spearman']} -> {s['fingerprint']}")  # fmt: skip
    return s
