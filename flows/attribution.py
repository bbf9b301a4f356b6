"""Attribution: tokenized kept documents + target examples -> attributes/attribution (doc_id, target, score; higher =
more beneficial), DsDm's TRAK datamodels on proxies trained on random halves; and attribution-skills, each skill's
benefit from group-level datamodels."""

from __future__ import annotations

from prefect import flow

from schemas.config import AttributionParams, SkillAttributionParams
from schemas.refs import AttributionRef, SkillAttributionRef, TokensRef
from tasks.attribution.prefect_tasks import attribute_skills_task, attribute_task
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest


@flow(name="attribution", log_prints=True)
def attribution(run: str, tokens: TokensRef, targets: list[str],
                params: AttributionParams = AttributionParams()) -> AttributionRef:  # fmt: skip
    """Score the documents of `tokens` towards each target in `targets` (JSONL files)."""
    ref = attribute_task(run, tokens, targets, params)
    s = catalog.summary(ref)
    print(f"attribution: {s.documents:,} documents x {len(s.targets)} targets -> {ref.uri}")
    return advance_latest(ref)


@flow(name="attribution-skills", log_prints=True)
def attribution_skills(run: str, tokens: TokensRef, targets: list[str],
                       params: SkillAttributionParams = SkillAttributionParams()) -> SkillAttributionRef:  # fmt: skip
    """Each skill's benefit to each target (group-level datamodels over random skill subsets)."""
    ref = attribute_skills_task(run, tokens, targets, params)
    s = catalog.summary(ref)
    print(f"attribution-skills: {len(s.skills)} skills x {len(s.targets)} targets, {params.subsets} runs; "
          f"held-out Spearman {s.cv_spearman} -> {ref.uri}")  # fmt: skip
    return advance_latest(ref)
