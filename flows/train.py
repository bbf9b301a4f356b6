"""Train: a manifest's shards -> a GPT-2-style model with static or online mixing; per-skill losses. Also the
proxy runs (short trainings on given mixtures, cached) and the Skill-It skills graph.

`train` runs in one process (a GPU when given one) and is deployable to a GPU work pool like any flow;
`proxies` maps independent proxy runs over the Dask cluster, one process each."""

from __future__ import annotations

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import TrainParams
from tasks.train.prefect_tasks import proxy_task, skills_graph_task, train_task


@flow(name="train", log_prints=True)
def train(manifest: str, out: str, params: TrainParams = TrainParams(), device: str = "cpu") -> dict:
    """Train on `manifest` into `out` (resuming from out/checkpoint.pt); returns the summary."""
    s = train_task(manifest, out, params, device)
    print(f"train: {s['steps']} steps, {s['parameters']:,} parameters, mean final validation loss "
          f"{s['mean_final_val_loss']:.3f} -> {out}")  # fmt: skip
    return s


@flow(name="proxies", task_runner=task_runner(), log_prints=True)
def proxies(manifest: str, run: str, runs: list[TrainParams], device: str = "cpu") -> list[dict]:
    """Proxy runs of `runs` on `manifest` (each trained once, then read from RUN/work/proxies/); their summaries."""
    out = tracked(proxy_task.map(unmapped(manifest), unmapped(run), runs, unmapped(device)), "proxies")
    for p, s in zip(runs, out, strict=True):
        print(f"proxy {s['fingerprint']}: {p.mixing.method}, {s['steps']} steps, mean final validation loss "
              f"{s['mean_final_val_loss']:.4f}")  # fmt: skip
    return out


@flow(name="skills-graph", log_prints=True)
def skills_graph(manifest: str, out: str, params: TrainParams = TrainParams(steps=50), base_steps: int = 100,
                 device: str = "cpu") -> dict:  # fmt: skip
    """The Skill-It skills graph of a manifest's skills (linear approximation); returns the summary."""
    s = skills_graph_task(manifest, out, params, base_steps, device)
    print(f"skills-graph: {len(s['graph'])} skills, density {s['density']:.2f} -> {out}/graph.npy")
    return s
