"""Prefect tasks every flow shares: moving a stage's latest pointer (once, as a stage flow's last step) and
resolving what a flow reads from another run or the latest of a stage."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.refs import StageRef
from tasks.common import catalog


@task(name="advance-latest", cache_policy=NO_CACHE)
def advance_latest(ref: StageRef) -> StageRef:
    """Make the stage output `ref` the one later stages read (the catalog moves its latest pointer)."""
    catalog.advance(ref)
    return ref


@task(name="latest", cache_policy=NO_CACHE)
def latest(run: str, stage: str) -> StageRef:
    """The latest committed output of `stage` in `run` (an InputError naming the command when there is none)."""
    return catalog.latest(run, stage)


def outcome_artifact(stage: str, s: Any) -> None:
    """The `<stage>-counts` table artifact of a stage that keeps or drops documents: kept, then each reason."""
    rows = [{"outcome": "kept", "documents": s.kept}]
    rows += [{"outcome": f"dropped: {k}", "documents": v} for k, v in s.dropped_by_reason.items()]
    create_table_artifact(rows, key=f"{stage}-counts", description=f"{stage} {s.fingerprint} of {s.run}")
