"""Prefect tasks for emit: plan, one task per skill (shards), the manifest, and its verification."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import EmitParams
from schemas.outputs import Verified
from schemas.refs import EmitPlan, ManifestRef, MixtureRef
from tasks.emit import stage, verify


@task(name="plan-emit", cache_policy=NO_CACHE)
def plan_emit(run: str, mixture: MixtureRef, params: EmitParams) -> EmitPlan:
    return stage.plan(run, mixture, params)


@task(name="emit-skill", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="emit-skill-{skill}")
def emit_skill(plan: EmitPlan, skill: int, params: EmitParams) -> list[dict]:
    """One skill's shards in every format; their manifest entries."""
    return stage.emit_skill(plan, skill, params)


@task(name="write-manifest", cache_policy=NO_CACHE)
def write_manifest(plan: EmitPlan, entries: list[list[dict]], params: EmitParams) -> ManifestRef:
    """manifest.json (+ tokenizer, data-args file); a table artifact of the budget per skill."""
    m = stage.manifest(plan, entries, params)
    rows = [{"skill": k.skill, "label": k.label, "weight": round(k.weight, 4), "tokens_available": k.tokens_available,
             "tokens_to_draw": k.tokens_to_draw, "repeat_factor": k.repeat_factor, "shards": len(k.shards)}
            for k in m.skills]  # fmt: skip
    create_table_artifact(rows, key="manifest", description=f"token budget per skill: {plan.manifest}")
    return stage.ref(plan)


@task(name="load-emit", cache_policy=NO_CACHE)
def load_emit(plan: EmitPlan) -> ManifestRef:
    return stage.ref(plan)


@task(name="verify-manifest", cache_policy=NO_CACHE)
def verify_manifest(manifest: ManifestRef) -> Verified:
    """Every shard's sha256, token and document counts against the manifest (VerifyError names the first
    mismatch); recorded for the run report."""
    v = verify.verify(manifest.manifest)
    stage.record_verified(v, manifest.run)
    return v
