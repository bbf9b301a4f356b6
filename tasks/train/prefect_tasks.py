"""Prefect tasks for training (each one process, on the device it is given)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.config import TrainParams
from tasks.train import stage


@task(name="train", cache_policy=NO_CACHE)
def train_task(manifest: str, out: str, params: TrainParams, device: str) -> dict:
    """Train (or resume) on a manifest; the summary."""
    return stage.train(manifest, out, params, device)


@task(name="proxy", cache_policy=NO_CACHE)
def proxy_task(manifest: str, run: str, params: TrainParams, device: str) -> dict:
    """One cached proxy run (trained unless committed); its summary, with the metrics path."""
    return stage.proxy(manifest, run, params, device)


@task(name="skills-graph", cache_policy=NO_CACHE)
def skills_graph_task(manifest: str, out: str, params: TrainParams, base_steps: int, device: str) -> dict:
    """Short runs per skill from a shared base; the Skill-It graph."""
    return stage.skills_graph(manifest, out, params, base_steps, device)
