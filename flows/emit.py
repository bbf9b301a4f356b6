"""Emit: token ids + mixture -> per-skill Megatron / MDS / flat shards and manifest.json."""

from __future__ import annotations

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import EmitParams
from tasks.common import io
from tasks.shards.prefect_tasks import emit_skill, plan_emit, write_manifest
from tasks.shards.stage import emitted


@flow(name="emit", task_runner=task_runner(), log_prints=True)
def emit(run: str, params: EmitParams = EmitParams()) -> str:
    """Write the shards and the manifest; returns the manifest's path (a no-op when committed)."""
    plan = plan_emit(run, params)
    uri = plan.manifest_uri
    if plan.done:
        io.point_latest(io.join(plan.run, "shards"), plan.fingerprint)
        print(f"emit: already committed with these tokens, mixture and params: {uri}")
        return uri
    skills = emitted(plan.mixture)
    entries = tracked(emit_skill.map(unmapped(plan), skills, unmapped(params)), "emit")
    doc = write_manifest(plan, entries, params)
    print(f"emit: {len(doc['skills'])} skills, budget {doc['token_budget']:,} tokens -> {uri}")
    return uri
