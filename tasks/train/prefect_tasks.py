"""Prefect task for training (one process, on the device it is given)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.train import loop, stage


@task(name="train", cache_policy=NO_CACHE)
def train_task(manifest: str, out: str, cfg: loop.TrainConfig, mixing: str, graph: str | None, device: str) -> dict:
    """Train (or resume) on a manifest; the summary."""
    return stage.train(manifest, out, cfg, mixing, graph, device)
