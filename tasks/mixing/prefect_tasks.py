"""Prefect task for the mix stage (one small run-wide step)."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import MixParams
from tasks.mixing import stage


@task(name="mix", cache_policy=NO_CACHE)
def mix(run: str, params: MixParams) -> dict:
    """The mixture over the run's skills; mixture.json's content."""
    doc = stage.mixture(run, params)
    rows = [{"skill": s["skill"], "label": s["label"], "weight": round(s["weight"], 4), "tokens": s["tokens"]}
            for s in doc["skills"]]  # fmt: skip
    create_table_artifact(rows, key="mixture", description=f"{doc['method']} mixture of {run}")
    return doc
