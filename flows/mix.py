"""Mix: per-skill statistics -> mix/<fp>/mixture.json (training-free methods, DsDm selections, or BiMix: proxy runs
on a design of mixtures, the law fitted to them, its optimal mixture)."""

from __future__ import annotations

from prefect import flow

from flows.proxies import proxies
from flows.runtime import task_runner
from schemas.config import MixParams
from schemas.refs import AttributionRef, ManifestRef, MixtureRef, TokensRef
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest
from tasks.mix.prefect_tasks import bimix_design, fit_bimix, load_mix, plan_mix
from tasks.mix.prefect_tasks import mix as mix_task
from tasks.proxies.prefect_tasks import plan_proxies


@flow(name="mix", log_prints=True)
def mix(run: str, tokens: TokensRef, params: MixParams = MixParams(), attribution: AttributionRef | None = None,
        manifest: ManifestRef | None = None, device: str = "cpu", dask_address: str | None = None,
        workers: int | None = None) -> MixtureRef:  # fmt: skip
    """Weights over the skills of `tokens` by `params.method`. A selection reads `attribution`; BiMix trains its
    proxies on `manifest`'s shards (on the Dask cluster at `dask_address`, default a local one)."""
    if params.method == "bimix":
        if manifest is None:
            raise ValueError("the bimix method trains proxies on a manifest's shards: give `manifest`")
        specs = bimix_design(tokens, manifest, params)
        keys = plan_proxies(run, manifest, specs, None).runs  # the mixture's fingerprint covers the runs it reads
        plan = plan_mix(run, tokens, params, attribution, manifest, list(keys))
        if plan.done:
            ref = load_mix(plan)
        else:
            trained = proxies.with_options(task_runner=task_runner(dask_address, workers))
            ref = fit_bimix(plan, params, specs, trained(run, manifest, specs, None, device))
        law = catalog.summary(ref).law
        print(f"mix: bimix, held-out {law.holdout.mixture} MAPE {law.holdout.mape:.4f}")
    else:
        plan = plan_mix(run, tokens, params, attribution)
        ref = load_mix(plan) if plan.done else mix_task(plan, params)
    doc = catalog.summary(ref)
    print(f"mix: {doc.method}: " + ", ".join(f"{s.skill}: {s.weight:.3f}" for s in doc.skills))
    return advance_latest(ref)
