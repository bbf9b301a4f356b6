"""Mix: per-skill statistics -> mixture/<fp>/mixture.json (training-free methods, DsDm selections, or BiMix:
proxy runs on a design of mixtures, the law fitted to them, its optimal mixture)."""

from __future__ import annotations

from prefect import flow, unmapped

from flows.runtime import tracked
from schemas.config import MixParams
from tasks.mixing.prefect_tasks import fit_bimix, plan_bimix
from tasks.mixing.prefect_tasks import mix as mix_task
from tasks.mixing.stage import committed
from tasks.train.prefect_tasks import proxy_task


@flow(name="mix", log_prints=True)
def mix(run: str, params: MixParams = MixParams(), device: str = "cpu") -> dict:
    """Weights over the run's skills by `params.method`; returns mixture.json's content."""
    if params.method == "bimix":
        plan = plan_bimix(run, params)
        if (doc := committed(run, plan["fingerprint"])) is None:
            runs = [p for _, _, p in plan["runs"]]
            futures = proxy_task.map(unmapped(plan["manifest"]), unmapped(run), runs, unmapped(device))
            summaries = tracked(futures, "bimix-proxies")
            doc = fit_bimix(run, params, plan, summaries)
        print(f"mix: bimix, held-out {doc['law']['holdout']['mixture']} MAPE {doc['law']['holdout']['mape']:.4f}")
    else:
        doc = mix_task(run, params)
    print(f"mix: {doc['method']}: " + ", ".join(f"{s['skill']}: {s['weight']:.3f}" for s in doc["skills"]))
    return doc
