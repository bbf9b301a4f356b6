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
from tasks.mix.prefect_tasks import bimix_design, fit_bimix, fit_law, law_round, law_targets, load_mix, plan_mix
from tasks.mix.prefect_tasks import mix as mix_task
from tasks.proxies.prefect_tasks import plan_proxies


@flow(name="mix", log_prints=True)
def mix(run: str, tokens: TokensRef, params: MixParams = MixParams(), attribution: AttributionRef | None = None,
        manifest: ManifestRef | None = None, device: str = "cpu", dask_address: str | None = None,
        workers: int | None = None, targets: list[str] | None = None) -> MixtureRef:  # fmt: skip
    """Weights over the skills of `tokens` by `params.method`. A selection reads `attribution`; BiMix and the law
    train their proxies on `manifest`'s shards (on the Dask cluster at `dask_address`, default a local one); the
    law's metrics include each proxy's loss on the `targets` files."""
    if params.method == "law":
        ref = swarm_law(run, tokens, params, attribution, manifest, device, dask_address, workers, targets or [])
    elif params.method == "bimix":
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


def swarm_law(run: str, tokens: TokensRef, params: MixParams, attribution: AttributionRef | None,
              manifest: ManifestRef | None, device: str, dask_address: str | None, workers: int | None,
              targets: list[str]) -> MixtureRef:  # fmt: skip
    """The law method: each round's proxies trained (cached), the law fitted to all of them, its proposal."""
    if manifest is None:
        raise ValueError("the law method trains proxies on a manifest's shards: give `manifest`")
    rows, digest = law_targets(tokens, targets, params)
    trained = proxies.with_options(task_runner=task_runner(dask_address, workers))
    specs: list = []
    runs: list = []
    for r in range(1, params.law.rounds + 1):
        new = law_round(tokens, manifest, params, specs, runs, rows, r)
        done = trained(run, manifest, new, None, device)
        specs, runs = specs + new, runs + [catalog.proxy(k) for k in done.runs]
        print(f"mix: law round {r}: {len(new)} proxy runs")
    plan = plan_mix(run, tokens, params, attribution, manifest, [r.fingerprint for r in runs], [digest])
    ref = load_mix(plan) if plan.done else fit_law(plan, params, specs, runs, rows)
    s = catalog.summary(ref).swarm
    print(
        f"mix: law ({s.family}) on {s.runs} runs, objective {s.objective}: predicted {s.predicted['proposal']:.4f} "
        f"vs stratified {s.predicted['stratified']:.4f}"
    )
    return ref
