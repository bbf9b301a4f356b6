"""What `skillmix status` reports about a run: per stage its committed outputs, which one is latest, their
parameters in short, anything a crash left uncommitted, and what a rerun of the curate flow would recompute.

Declarations only; tasks.common.catalog fills them from the run directory.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

State = Literal["current", "stale", "interrupted", "not run"]


class _Status(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CommittedOutput(_Status):
    """One committed output of a stage."""

    fingerprint: str
    latest: bool
    made_from: dict[str, str | None]  # upstream stage -> the fingerprint it read
    params: str  # parameters in short: what differs from the defaults
    facts: str  # its main counts, in short


class Uncommitted(_Status):
    """A directory a stage started and did not commit (a crash, a kill): what a rerun resumes from."""

    fingerprint: str
    where: str
    parts_committed: int  # partitions (or skills, or files) committed inside it, which a rerun reads back


class StageStatus(_Status):
    stage: str
    folder: str
    state: State
    why: str  # one line: what makes it current, stale or interrupted
    latest: str | None
    committed: list[CommittedOutput]
    uncommitted: list[Uncommitted]


class RunStatus(_Status):
    run: str
    stages: list[StageStatus]
    rerun: list[str]  # the curate chain's stages a rerun with the latest parameters recomputes, in order
    rerun_why: str
