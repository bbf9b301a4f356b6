"""Emit: a mixture and its token ids -> per-skill Megatron / MDS / flat shards and manifest.json."""

from __future__ import annotations

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import EmitParams
from schemas.refs import ManifestRef, MixtureRef
from tasks.common.prefect_tasks import advance_latest
from tasks.emit.prefect_tasks import emit_skill, load_emit, plan_emit, write_manifest
from tasks.emit.stage import emitted


@flow(name="emit", task_runner=task_runner(), log_prints=True)
def emit(run: str, mixture: MixtureRef, params: EmitParams = EmitParams()) -> ManifestRef:
    """Write the shards and the manifest of `mixture` (a no-op when committed)."""
    plan = plan_emit(run, mixture, params)
    if plan.done:
        print(f"emit: already committed with these tokens, mixture and params: {plan.manifest}")
        return advance_latest(load_emit(plan))
    entries = tracked(emit_skill.map(unmapped(plan), emitted(plan.doc), unmapped(params)), "emit")
    ref = write_manifest(plan, entries, params)
    print(f"emit: {len(entries)} skills -> {plan.manifest}")
    return advance_latest(ref)
