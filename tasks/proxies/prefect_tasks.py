"""Prefect tasks for proxies: plan a design, train one run (each its own task, on the Dask cluster), compare."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.config import TrainParams
from schemas.outputs import ProxyRun, SkillsGraphSummary
from schemas.refs import ManifestRef, ProxiesPlan, ProxiesRef, ProxySpec
from tasks.common import catalog
from tasks.proxies import stage


@task(name="plan-proxies", cache_policy=NO_CACHE)
def plan_proxies(run: str, manifest: ManifestRef, specs: list[ProxySpec], baseline: str | None) -> ProxiesPlan:
    """Each run's key (what it reads) and directory, and whether the design's comparison is committed."""
    return stage.plan(run, manifest, specs, baseline)


@task(name="mixture-design", cache_policy=NO_CACHE)
def mixture_design(manifest: ManifestRef, mixtures: list[str], seeds: list[int], base: TrainParams,
                   baseline: str | None) -> tuple[list[ProxySpec], str | None]:  # fmt: skip
    """The design of `skillmix proxies`: each mixture spec once per seed; the baseline's name."""
    return stage.mixture_design(manifest, mixtures, seeds, base, baseline)


@task(name="proxy-run", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="proxy-run-{i}")
def proxy_run(plan: ProxiesPlan, i: int, device: str) -> ProxyRun:
    """One run of the design, trained unless committed; its summary and loss curves."""
    return stage.train_run(plan, i, device)


@task(name="compare-proxies", cache_policy=NO_CACHE)
def compare_proxies(plan: ProxiesPlan, runs: list[ProxyRun]) -> ProxiesRef:
    """The design's comparison, committed; the report's copy; a table artifact."""
    c = stage.comparison(plan, runs)
    stage.write_report(plan)
    rows = [{"mixture": r.mixture, "mean": round(r.mean, 4), "std": round(r.std, 4), "seeds": len(r.seeds),
             "vs baseline": None if r.mean_diff is None else round(r.mean_diff, 4)} for r in c.mixtures]  # fmt: skip
    create_table_artifact(rows, key="proxies", description=f"proxy runs of {plan.run}: {c.steps} steps")
    return catalog.ref(plan.run, "proxies", plan.fingerprint)


@task(name="graph-specs", cache_policy=NO_CACHE)
def graph_specs(manifest: ManifestRef, params: TrainParams, base_steps: int) -> list[ProxySpec]:
    return stage.graph_specs(manifest, params, base_steps)


@task(name="skills-graph", cache_policy=NO_CACHE)
def skills_graph(plan: ProxiesPlan, runs: list[ProxyRun], out: str) -> SkillsGraphSummary:
    """The Skill-It graph from the base and per-skill runs: graph.npy, heatmap, summary."""
    return stage.skills_graph(plan, runs, out)
