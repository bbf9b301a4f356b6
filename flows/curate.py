"""Curate: every stage, chained as subflows: ingest, dedup, skills, tokens, mix, emit -> manifest.json, then the
run report (report.html and a Prefect artifact).

Stage flows run their tasks on Dask: a LocalCluster by default, or the cluster at `dask_address`.
"""

from __future__ import annotations

from prefect import flow

from flows.dedup import dedup
from flows.emit import emit
from flows.ingest import ingest
from flows.mix import mix
from flows.report import report
from flows.runtime import task_runner
from flows.skills import skills
from flows.tokens import tokens
from schemas.config import PipelineParams


@flow(name="curate", log_prints=True)
def curate(
    inputs: list[str],
    run: str,
    params: PipelineParams = PipelineParams(),
    dask_address: str | None = None,
    workers: int | None = None,
    against: str | None = None,
) -> dict:
    """Run the whole curation pipeline on `inputs` into `run`; returns each stage's summary. `against`: an earlier
    run whose kept documents win in dedup (a new corpus deduplicated incrementally)."""
    runner = task_runner(dask_address, workers)
    ingested = ingest.with_options(task_runner=runner)(inputs, run, params.ingest)
    deduped = dedup.with_options(task_runner=runner)(run, params.dedup, against)
    skilled = skills.with_options(task_runner=runner)(run, params.embed, params.skills)
    tokened = tokens.with_options(task_runner=runner)(run, params.tokens)
    if params.mix.method == "bimix":  # its proxies train on a manifest of every skill: a natural one, emitted first
        mix(run, params.mix.model_copy(update={"method": "natural", "select": "all"}))
        emit.with_options(task_runner=runner)(run, params.emit)
    mixture = mix(run, params.mix)
    manifest = emit.with_options(task_runner=runner)(run, params.emit)
    page = report(run)
    return {
        "ingest": ingested.summary,
        "dedup": deduped,
        "skills": skilled,
        "tokens": tokened,
        "mix": mixture,
        "manifest": manifest,
        "report": page["html"],
    }
