"""Curate: every stage, chained as subflows that hand each other refs: ingest -> dedup -> quality -> skills -> tokens
-> mix -> emit -> a verified manifest.json, then the run report (report.html and a Prefect artifact). What `skillmix
run` and the curation deployments do, all of it here.

Stage flows run their tasks on Dask: a LocalCluster by default, or the cluster at `dask_address`.
"""

from __future__ import annotations

from prefect import flow

from flows.dedup import dedup
from flows.emit import emit
from flows.ingest import ingest
from flows.mix import mix
from flows.quality import quality
from flows.report import report
from flows.runtime import task_runner
from flows.skills import skills
from flows.tokens import tokens
from schemas.config import PipelineParams
from schemas.refs import CurateResult
from tasks.common.prefect_tasks import latest
from tasks.emit.prefect_tasks import verify_manifest


@flow(name="curate", log_prints=True)
def curate(
    inputs: list[str],
    run: str,
    params: PipelineParams = PipelineParams(),
    dask_address: str | None = None,
    workers: int | None = None,
    against: str | None = None,
) -> CurateResult:
    """Run the whole curation pipeline on `inputs` into `run`, ending in a verified manifest and the run report.
    `against`: an earlier run whose kept documents win in dedup (a new corpus deduplicated incrementally)."""
    runner = task_runner(dask_address, workers)
    prior = latest(against, "dedup") if against else None
    documents = ingest.with_options(task_runner=runner)(inputs, run, params.ingest)
    deduped = dedup.with_options(task_runner=runner)(run, documents, params.dedup, prior)
    filtered = quality.with_options(task_runner=runner)(run, deduped, params.quality)
    skilled = skills.with_options(task_runner=runner)(run, filtered, params.embed, params.skills)
    tokened = tokens.with_options(task_runner=runner)(run, skilled, params.tokens)
    attribution = latest(run, "attribution") if params.mix.selects else None
    manifest = None
    if params.mix.method == "bimix":  # its proxies train on a manifest of every skill: a natural one, emitted first
        natural = mix(run, tokened, params.mix.model_copy(update={"method": "natural", "select": "all"}))
        manifest = emit.with_options(task_runner=runner)(run, natural, params.emit)
    mixture = mix(run, tokened, params.mix, attribution, manifest, dask_address=dask_address, workers=workers)
    manifest = emit.with_options(task_runner=runner)(run, mixture, params.emit)
    verified = verify_manifest(manifest)
    print(f"curate: verified {verified.shards} shards of {manifest.manifest}")
    return CurateResult(manifest=manifest, verified=verified, report=report(run))
