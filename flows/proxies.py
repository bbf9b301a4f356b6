"""Proxies: a design of short training runs on a manifest's shards (named mixtures x seeds), each cached by what it
reads, compared by average per-skill validation loss. The skills graph is a design of the same runs (a base, then
each skill alone from it); BiMix (flows.mix) fits its law to a design's runs.

Runs are independent tasks on the Dask cluster, one process each; runs that start from another run go after it."""

from __future__ import annotations

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import TrainParams
from schemas.outputs import ProxyRun, SkillsGraphSummary
from schemas.refs import ManifestRef, ProxiesPlan, ProxiesRef, ProxySpec
from tasks.common.prefect_tasks import advance_latest
from tasks.proxies.prefect_tasks import compare_proxies, graph_specs, mixture_design, plan_proxies, proxy_run
from tasks.proxies.prefect_tasks import skills_graph as graph_task


def train_runs(plan: ProxiesPlan, device: str) -> list[ProxyRun]:
    """Every run of a plan (committed ones are read back): first those that start from scratch, then those that
    start from another run."""
    out: dict[int, ProxyRun] = {}
    for wave in ([i for i, s in enumerate(plan.specs) if s.init is None],
                 [i for i, s in enumerate(plan.specs) if s.init is not None]):  # fmt: skip
        if wave:
            done = tracked(proxy_run.map(unmapped(plan), wave, unmapped(device)), "proxies")
            out |= dict(zip(wave, done, strict=True))
    return [out[i] for i in range(len(plan.specs))]


@flow(name="proxies", task_runner=task_runner(), log_prints=True)
def proxies(run: str, manifest: ManifestRef, specs: list[ProxySpec], baseline: str | None = None,
            device: str = "cpu") -> ProxiesRef:  # fmt: skip
    """Train (or read back) every run of the design and commit their comparison."""
    plan = plan_proxies(run, manifest, specs, baseline)
    runs = train_runs(plan, device)
    for s, r in zip(plan.specs, runs, strict=True):
        print(f"proxy {r.fingerprint}: {s.name} seed {s.seed}, {r.steps} steps, mean final validation loss "
              f"{r.mean_final_val_loss:.4f}")  # fmt: skip
    return advance_latest(compare_proxies(plan, runs))


@flow(name="compare-mixtures", log_prints=True)
def compare_mixtures(run: str, manifest: ManifestRef, mixtures: list[str], seeds: list[int], params: TrainParams,
                     baseline: str | None = "stratified", device: str = "cpu", dask_address: str | None = None,
                     workers: int | None = None) -> ProxiesRef:  # fmt: skip
    """`skillmix proxies`: each mixture spec (manifest, stratified, natural, skillit, aioli, a mixture.json, or
    weights) trained once per seed on `manifest`, compared against `baseline` when it is one of them. The runs go
    to the Dask cluster at `dask_address` (default: a local one)."""
    specs, base = mixture_design(manifest, mixtures, seeds, params, baseline)
    return proxies.with_options(task_runner=task_runner(dask_address, workers))(run, manifest, specs, base, device)


@flow(name="skills-graph", task_runner=task_runner(), log_prints=True)
def skills_graph(run: str, manifest: ManifestRef, out: str, params: TrainParams = TrainParams(steps=50),
                 base_steps: int = 100, device: str = "cpu") -> SkillsGraphSummary:  # fmt: skip
    """The Skill-It skills graph of a manifest's skills (linear approximation), from cached proxy runs."""
    plan = plan_proxies(run, manifest, graph_specs(manifest, params, base_steps), None)
    s = graph_task(plan, train_runs(plan, device), out)
    print(f"skills-graph: {len(s.graph)} skills, density {s.density:.2f} -> {out}/graph.npy")
    return s
