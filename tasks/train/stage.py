"""The train stage over files: a manifest's token streams in, checkpoints, metrics.parquet and plots out.

Streams: each skill's Megatron or flat shards (the same raw token bytes), memory-mapped. The last 10% of a
skill's tokens are its validation set. A checkpoint is written after every evaluation; a run whose
checkpoint exists resumes from it (same config required) and ends exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import copy
import io as _io
import json
from dataclasses import asdict, replace

import numpy as np
import pyarrow as pa
import torch

from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.mixing import policies
from tasks.train import graph, loop


def streams(manifest_uri: str, seq_len: int) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    """(manifest, train streams, validation streams), one per skill, from its Megatron or flat shards."""
    m = io.read_json(manifest_uri)
    root = manifest_uri.rsplit("/", 1)[0]
    fmt = "flat" if "flat" in m["formats"] else "megatron"
    if fmt not in m["formats"]:
        raise InputError(f"{manifest_uri}: training reads flat or Megatron shards; emit with --formats flat")
    train, val = [], []
    for k in m["skills"]:
        parts = []
        for s in (s for s in k["shards"] if s["format"] == fmt):
            parts.append(io.memmap(io.join(root, s["path"] + (".bin" if fmt == "megatron" else "")), s["dtype"]))
        try:
            t, v = loop.split(np.concatenate(parts) if len(parts) > 1 else parts[0], seq_len)
        except ValueError as e:
            raise InputError(f"skill {k['skill']} ({k['label']}): {e}; lower --seq-len") from e
        train.append(t)
        val.append(v)
    return m, train, val


def policy_for(mixing: str, m: dict, graph: str | None = None):
    weights = np.array([k["weight"] for k in m["skills"]])
    if mixing == "static":
        return policies.Static(weights)
    if mixing == "skillit":
        return policies.SkillIt(len(weights), np.load(graph) if graph else None)
    if mixing == "aioli":
        return policies.Aioli(len(weights))
    raise InputError(f"--mixing {mixing}: one of static, skillit, aioli")


def train(manifest_uri: str, out: str, cfg: loop.TrainConfig, mixing: str = "static", graph: str | None = None,
          device: str = "cpu", stop_at: int | None = None) -> dict:  # fmt: skip
    """Train (or resume) into `out`; returns the summary. `stop_at` ends early (as a crash would), for tests."""
    m, train_streams, val_streams = streams(manifest_uri, cfg.seq_len)
    policy = policy_for(mixing, m, graph)
    model = loop.build_model(m["tokenizer"]["vocab_size"], cfg)
    trainer = loop.Trainer(model, train_streams, val_streams, policy.initial, cfg, device)
    run_config = {"manifest": manifest_uri, "mixing": mixing, "graph": graph, **asdict(cfg)}
    ckpt = io.join(out, "checkpoint.pt")
    if io.exists(ckpt):
        state = torch.load(_io.BytesIO(io.read_bytes(ckpt)), weights_only=False)
        if state["config"] != run_config:
            raise InputError(f"{ckpt} was written by another configuration; use another --out or remove it")
        trainer.load_state_dict(state["trainer"])
        policy.load_state_dict(state["policy"])
    if trainer.step == 0 and not trainer.metrics:
        trainer.evaluate()
    while trainer.step < (stop_at or cfg.steps):
        trainer.run(min(cfg.steps, trainer.step + cfg.eval_every - trainer.step % cfg.eval_every), policy)
        buf = _io.BytesIO()
        torch.save({"config": run_config, "trainer": trainer.state_dict(), "policy": policy.state_dict()}, buf)
        io.write_bytes(ckpt, buf.getvalue())
    if trainer.step < cfg.steps:
        return {"stopped_at": trainer.step}
    table = pa.table({k: [r[k] for r in trainer.metrics] for k in ("step", "skill", "val_loss", "weight")})
    io.write_table(table.cast(pa.schema([("step", pa.int64()), ("skill", pa.int32()), ("val_loss", pa.float64()),
                                         ("weight", pa.float64())])), io.join(out, "metrics.parquet"))  # fmt: skip
    io.write_bytes(io.join(out, "training.png"), figure(trainer.metrics, [k["label"] for k in m["skills"]], mixing))
    last = [r for r in trainer.metrics if r["step"] == trainer.step]
    summary = {"stage": "train", "config": run_config, "steps": trainer.step,
               "parameters": sum(p.numel() for p in model.parameters()),
               "final_val_loss": {str(r["skill"]): r["val_loss"] for r in last},
               "mean_final_val_loss": float(np.mean([r["val_loss"] for r in last])),
               "final_weights": trainer.weights.tolist()}  # fmt: skip
    io.write_bytes(io.join(out, "summary.json"), (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode())
    return summary


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


def skills_graph(manifest_uri: str, out: str, cfg: loop.TrainConfig, base_steps: int, device: str = "cpu") -> dict:
    """Train a base model on the manifest's weights for `base_steps`, then, from that base, `cfg.steps` steps on
    each skill alone; write graph.npy (A[i, j], relative loss drop), its heatmap and a summary."""
    m, train_streams, val_streams = streams(manifest_uri, cfg.seq_len)
    k = len(m["skills"])
    base_cfg = replace(cfg, steps=base_steps, eval_every=max(1, base_steps))
    trainer = loop.Trainer(loop.build_model(m["tokenizer"]["vocab_size"], base_cfg), train_streams, val_streams,
                           np.array([s["weight"] for s in m["skills"]]), base_cfg, device)  # fmt: skip
    trainer.run(base_steps)
    base_model, base_loss = copy.deepcopy(trainer.model.state_dict()), trainer.val_losses()
    after = np.empty((k, k))
    for i in range(k):
        t = loop.Trainer(loop.build_model(m["tokenizer"]["vocab_size"], cfg), train_streams, val_streams,
                         np.eye(k)[i], cfg, device)  # fmt: skip
        t.model.load_state_dict(base_model)
        t.run(cfg.steps)
        after[i] = t.val_losses()
    a = graph.relative_drop(base_loss, after)
    buf = _io.BytesIO()
    np.save(buf, a)
    io.write_bytes(io.join(out, "graph.npy"), buf.getvalue())
    labels = [f"{s['skill']}: {s['label']}"[:28] for s in m["skills"]]
    io.write_bytes(io.join(out, "graph.png"), graph_figure(a, labels))
    summary = {"stage": "skills-graph", "manifest": manifest_uri, "base_steps": base_steps,
               "steps_per_skill": cfg.steps, "base_val_loss": base_loss.tolist(), "graph": a.tolist(),
               "density": graph.density(a)}  # fmt: skip
    io.write_bytes(io.join(out, "summary.json"), (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode())
    return summary


def graph_figure(a: np.ndarray, labels: list[str]) -> bytes:
    """PNG: heatmap of A[i, j], the relative loss drop of skill j after training on skill i."""
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(0.5 * len(labels) + 4, 0.5 * len(labels) + 3))
    lim = max(abs(float(a.min())), abs(float(a.max())), 1e-9)
    im = ax.imshow(a, cmap="RdBu", vmin=-lim, vmax=lim)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("evaluated skill j")
    ax.set_ylabel("trained skill i")
    ax.set_title(f"skills graph: relative loss drop (density {graph.density(a):.2f})")
    fig.colorbar(im)
    return plots.png(fig)
