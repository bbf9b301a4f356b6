"""A training run on a manifest's shards, into a directory: the train stage's job, and each cached proxy run's.

Streams: each skill's Megatron or flat shards (the same raw token bytes), memory-mapped. The last 10% of a
skill's tokens are its validation set. A checkpoint is written after every evaluation; a run whose checkpoint
exists resumes from it (same configuration required) and ends exactly where an uninterrupted run ends. At the
end: metrics.parquet, training.png and summary.json. All file access goes through tasks.common.io.
"""

from __future__ import annotations

import io as _io
import time

import numpy as np
import pyarrow as pa
import torch

from schemas.config import TrainParams
from schemas.manifest import Manifest
from schemas.outputs import Curves, TrainSummary
from schemas.refs import PartitionRef
from schemas.tables import TRAIN_METRICS
from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.train import loop, policies


def read_format(m: Manifest, manifest_uri: str) -> str:
    """The shard format training reads: flat, else Megatron (the same raw token bytes)."""
    fmt = "flat" if "flat" in m.formats else "megatron"
    if fmt not in m.formats:
        raise InputError(f"{manifest_uri}: training reads flat or Megatron shards; emit with --formats flat")
    return fmt


def skill_data(manifest_uri: str, params: TrainParams) -> tuple[Manifest, list[loop.SkillData]]:
    """(manifest, per-skill data) from each skill's Megatron or flat shards, memory-mapped."""
    m = Manifest.model_validate(io.read_json(manifest_uri))
    root = manifest_uri.rsplit("/", 1)[0]
    fmt = read_format(m, manifest_uri)
    data = []
    for k in m.skills:
        parts = [io.memmap(io.join(root, s.path + (".bin" if fmt == "megatron" else "")), s.dtype)
                 for s in k.shards if s.format == fmt]  # fmt: skip
        try:
            tokens = np.concatenate(parts) if len(parts) > 1 else parts[0]
            data.append(loop.SkillData.from_stream(tokens, params.seq_len, params.eval_windows))
        except ValueError as e:
            raise InputError(f"skill {k.skill} ({k.label}): {e}; lower --seq-len") from e
    return m, data


def trainer_for(manifest_uri: str, params: TrainParams, device: str) -> tuple[Manifest, loop.Trainer]:
    """The manifest and a fresh trainer of `params` on its data (a policy that does not fit it: InputError)."""
    m, data = skill_data(manifest_uri, params)
    try:
        policy = policies.make(params.mixing, np.array([k.weight for k in m.skills]), params.seed)
    except ValueError as e:
        raise InputError(f"--mixing {params.mixing.method}: {e}") from e
    model = loop.build_model(m.tokenizer.vocab_size, params)
    return m, loop.Trainer(model, data, policy, params, device)


def save(uri: str, obj: dict) -> None:
    buf = _io.BytesIO()
    torch.save(obj, buf)
    io.write_bytes(uri, buf.getvalue())


def load(uri: str) -> dict:
    return torch.load(_io.BytesIO(io.read_bytes(uri)), weights_only=False)


def train(manifest_uri: str, out: str, params: TrainParams, device: str = "cpu", stop_at: int | None = None,
          init: str | None = None) -> TrainSummary | None:  # fmt: skip
    """Train (or resume) into `out` on a manifest; the summary, or None when `stop_at` ended it early (as a crash
    would, for tests). `init`: a model.pt whose weights the model starts from (a run continued on other data)."""
    m, trainer = trainer_for(manifest_uri, params, device)
    if init is not None:
        trainer.model.load_state_dict(load(init))
    run_config = {"manifest": manifest_uri, "params": params.model_dump(mode="json")} | ({"init": init} if init else {})
    ckpt = io.join(out, "checkpoint.pt")
    if io.exists(ckpt):
        state = load(ckpt)
        if state["config"] != run_config:
            raise InputError(f"{ckpt} was written by another configuration; use another --out or remove it")
        trainer.load_state_dict(state["trainer"])
        if trainer.step == params.steps and io.exists(io.join(out, "summary.json")):
            return TrainSummary.model_validate(io.read_json(io.join(out, "summary.json")))  # finished: a no-op
    progress = ProgressFile(io.join(out, "progress", "train.json"), params.steps, "train", unit="steps")
    start_step, start = trainer.step, time.monotonic()
    while trainer.step < (stop_at or params.steps):
        trainer.run(min(params.steps, trainer.step + params.eval_every - trainer.step % params.eval_every))
        save(ckpt, {"config": run_config, "trainer": trainer.state_dict()})
        progress.update(trainer.step, force=True)
    if trainer.step < params.steps:
        return None
    table = pa.table({f.name: [r[f.name] for r in trainer.metrics] for f in TRAIN_METRICS}, schema=TRAIN_METRICS)
    io.write_table(table, io.join(out, "metrics.parquet"))
    io.write_bytes(io.join(out, "training.png"), figure(trainer.metrics, [k.label for k in m.skills],
                                                        params.mixing.method))  # fmt: skip
    last = [r for r in trainer.metrics if r["step"] == trainer.step]
    seconds = time.monotonic() - start  # this process's share, evaluations included
    tokens = (trainer.step - start_step) * params.batch_size * params.seq_len
    summary = TrainSummary(config=run_config, steps=trainer.step, device=device, seconds=seconds,
                           tokens_per_second=tokens / seconds if tokens else None,
                           parameters=sum(p.numel() for p in trainer.model.parameters()),
                           final_val_loss={str(r["skill"]): r["val_loss"] for r in last},
                           mean_final_val_loss=float(np.mean([r["val_loss"] for r in last])),
                           final_weights=trainer.weights.tolist())  # fmt: skip
    io.write_json(io.join(out, "summary.json"), summary.model_dump(mode="json"))
    return summary


def curves(metrics_uri: str) -> Curves:
    """Per-skill validation loss at every evaluation of a finished run's metrics.parquet."""
    t = io.read_table(PartitionRef(uri=metrics_uri, num_rows=0, table="train_metrics"))
    steps, skills = np.asarray(t["step"]), np.asarray(t["skill"])
    k, order = int(skills.max()) + 1, np.unique(steps)
    losses = np.full((len(order), k), np.nan)
    losses[np.searchsorted(order, steps), skills] = np.asarray(t["val_loss"])
    return Curves(steps=order.tolist(), losses=losses.tolist())


def figure(metrics: list[dict], labels: list[str], mixing: str) -> bytes:
    """PNG: per-skill validation loss and the mixture weights over steps."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    for s, label in enumerate(labels):
        rows = [r for r in metrics if r["skill"] == s]
        a.plot([r["step"] for r in rows], [r["val_loss"] for r in rows], label=f"{s}: {label}"[:30])
        b.plot([r["step"] for r in rows], [r["weight"] for r in rows])
    a.set_xlabel("step")
    a.set_ylabel("validation loss")
    a.legend(fontsize=6)
    b.set_xlabel("step")
    b.set_ylabel("weight")
    b.set_title(f"mixture ({mixing})")
    return plots.png(fig)
