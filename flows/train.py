"""Train: a manifest's shards -> a GPT-2-style model with static or online mixing; per-skill losses.

Runs in one process (a GPU when given one) and is deployable to a GPU work pool like any flow. `manifest` is a
manifest.json or a run directory, whose latest manifest the run catalog names."""

from __future__ import annotations

from prefect import flow

from schemas.config import TrainParams
from schemas.outputs import TrainSummary
from tasks.common import catalog
from tasks.train.prefect_tasks import train_task


@flow(name="train", log_prints=True)
def train(manifest: str, out: str, params: TrainParams = TrainParams(), device: str = "cpu") -> TrainSummary:
    """Train on `manifest` into `out` (resuming from out/checkpoint.pt); returns the summary."""
    s = train_task(catalog.manifest_of(manifest), out, params, device)
    print(f"train: {s.steps} steps, {s.parameters:,} parameters, mean final validation loss "
          f"{s.mean_final_val_loss:.3f} -> {out}")  # fmt: skip
    return s
