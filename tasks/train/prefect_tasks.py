"""Prefect task for training (one process, on the device it is given)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.train import loop, stage


@task(name="train", cache_policy=NO_CACHE)
def train_task(manifest: str, out: str, cfg: loop.TrainConfig, mixing: str, graph: str | None, device: str) -> dict:
    """Train (or resume) on a manifest; the summary."""
    return stage.train(manifest, out, cfg, mixing, graph, device)


@task(name="skills-graph", cache_policy=NO_CACHE)
def skills_graph_task(manifest: str, out: str, cfg: loop.TrainConfig, base_steps: int, device: str) -> dict:
    """Short runs per skill from a shared base; the Skill-It graph."""
    return stage.skills_graph(manifest, out, cfg, base_steps, device)
