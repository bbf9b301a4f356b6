"""Train: a manifest's shards -> a GPT-2-style model with static or online mixing; per-skill losses.

Runs in one process (a GPU when given one); deployable to a GPU work pool like any flow."""

from __future__ import annotations

from prefect import flow

from tasks.train import loop
from tasks.train.prefect_tasks import skills_graph_task, train_task


@flow(name="train", log_prints=True)
def train(manifest: str, out: str, cfg: loop.TrainConfig = loop.TrainConfig(), mixing: str = "static",
          graph: str | None = None, device: str = "cpu") -> dict:  # fmt: skip
    """Train on `manifest` into `out` (resuming from out/checkpoint.pt); returns the summary."""
    s = train_task(manifest, out, cfg, mixing, graph, device)
    print(f"train: {s['steps']} steps, {s['parameters']:,} parameters, mean final validation loss "
          f"{s['mean_final_val_loss']:.3f} -> {out}")  # fmt: skip
    return s


@flow(name="skills-graph", log_prints=True)
def skills_graph(manifest: str, out: str, cfg: loop.TrainConfig = loop.TrainConfig(steps=50), base_steps: int = 100,
                 device: str = "cpu") -> dict:  # fmt: skip
    """The Skill-It skills graph of a manifest's skills (linear approximation); returns the summary."""
    s = skills_graph_task(manifest, out, cfg, base_steps, device)
    print(f"skills-graph: {len(s['graph'])} skills, density {s['density']:.2f} -> {out}/graph.npy")
    return s
