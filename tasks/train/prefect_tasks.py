"""Prefect task for training (one process, on the device it is given)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.config import TrainParams
from schemas.outputs import TrainSummary
from tasks.train import session


@task(name="train", cache_policy=NO_CACHE)
def train_task(manifest: str, out: str, params: TrainParams, device: str) -> TrainSummary:
    """Train (or resume) on a manifest.json; the summary."""
    return session.train(manifest, out, params, device)
