"""Mix: per-skill statistics -> mixture/<fp>/mixture.json (training-free methods)."""

from __future__ import annotations

from prefect import flow

from schemas.config import MixParams
from tasks.mixing.prefect_tasks import mix as mix_task


@flow(name="mix", log_prints=True)
def mix(run: str, params: MixParams = MixParams()) -> dict:
    """Weights over the run's skills by `params.method`; returns mixture.json's content."""
    doc = mix_task(run, params)
    print(f"mix: {doc['method']}: " + ", ".join(f"{s['skill']}: {s['weight']:.3f}" for s in doc["skills"]))
    return doc
