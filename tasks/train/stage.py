"""The train stage over files: a manifest's token streams in, checkpoints, metrics.parquet and plots out; and
proxy runs, the same training cached under RUN/work/proxies/<fingerprint>/ for the stages that compare
mixtures (BiMix, DsDm, the mixture benchmarks).

Streams: each skill's Megatron or flat shards (the same raw token bytes), memory-mapped. The last 10% of a
skill's tokens are its validation set. A checkpoint is written after every evaluation; a run whose
checkpoint exists resumes from it (same parameters required) and ends exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import hashlib
import io as _io
import time

import numpy as np
import pyarrow as pa
import torch

from schemas.config import MixingParams, TrainParams
from schemas.refs import PartitionRef
from schemas.tables import TRAIN_METRICS
from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.common.progress import ProgressFile
from tasks.mixing import policies
from tasks.shards import stage as shards_stage
from tasks.train import compare, graph, loop


def manifest_path(uri: str) -> str:
    """A manifest.json as given, or a run directory's latest manifest (what its last emit wrote)."""
    if uri.endswith(".json"):
        if not io.exists(uri):
            raise InputError(f"{uri}: no such manifest; give a manifest.json written by `skillmix emit` or a run")
        return uri
    return shards_stage.latest_manifest(uri)


def skill_data(manifest_uri: str, params: TrainParams) -> tuple[dict, list[loop.SkillData]]:
    """(manifest, per-skill data) from each skill's Megatron or flat shards, memory-mapped."""
    m = io.read_json(manifest_uri)
    root = manifest_uri.rsplit("/", 1)[0]
    fmt = "flat" if "flat" in m["formats"] else "megatron"
    if fmt not in m["formats"]:
        raise InputError(f"{manifest_uri}: training reads flat or Megatron shards; emit with --formats flat")
    data = []
    for k in m["skills"]:
        parts = []
        for s in (s for s in k["shards"] if s["format"] == fmt):
            parts.append(io.memmap(io.join(root, s["path"] + (".bin" if fmt == "megatron" else "")), s["dtype"]))
        try:
            tokens = np.concatenate(parts) if len(parts) > 1 else parts[0]
            data.append(loop.SkillData.from_stream(tokens, params.seq_len, params.eval_windows))
        except ValueError as e:
            raise InputError(f"skill {k['skill']} ({k['label']}): {e}; lower --seq-len") from e
    return m, data


def trainer_for(manifest_uri: str, params: TrainParams, device: str) -> tuple[dict, loop.Trainer]:
    """The manifest and a fresh trainer of `params` on its data (a policy that does not fit it: InputError)."""
    m, data = skill_data(manifest_uri, params)
    try:
        policy = policies.make(params.mixing, np.array([k["weight"] for k in m["skills"]]), params.seed)
    except ValueError as e:
        raise InputError(f"--mixing {params.mixing.method}: {e}") from e
    model = loop.build_model(m["tokenizer"]["vocab_size"], params)
    return m, loop.Trainer(model, data, policy, params, device)


def _save(uri: str, obj: dict) -> None:
    buf = _io.BytesIO()
    torch.save(obj, buf)
    io.write_bytes(uri, buf.getvalue())


def train(manifest_uri: str, out: str, params: TrainParams, device: str = "cpu", stop_at: int | None = None) -> dict:
    """Train (or resume) into `out` on a manifest (or a run's latest manifest); returns the summary. `stop_at`
    ends early (as a crash would), for tests."""
    manifest_uri = manifest_path(manifest_uri)
    m, trainer = trainer_for(manifest_uri, params, device)
    run_config = {"manifest": manifest_uri, "params": params.model_dump(mode="json")}
    ckpt = io.join(out, "checkpoint.pt")
    if io.exists(ckpt):
        state = torch.load(_io.BytesIO(io.read_bytes(ckpt)), weights_only=False)
        if state["config"] != run_config:
            raise InputError(f"{ckpt} was written by another configuration; use another --out or remove it")
        trainer.load_state_dict(state["trainer"])
        if trainer.step == params.steps and io.exists(io.join(out, "summary.json")):
            return io.read_json(io.join(out, "summary.json"))  # finished: a rerun is a no-op
    progress = ProgressFile(io.join(out, "progress", "train.json"), params.steps, "train", unit="steps")
    start_step, start = trainer.step, time.monotonic()
    while trainer.step < (stop_at or params.steps):
        trainer.run(min(params.steps, trainer.step + params.eval_every - trainer.step % params.eval_every))
        _save(ckpt, {"config": run_config, "trainer": trainer.state_dict()})
        progress.update(trainer.step, force=True)
    if trainer.step < params.steps:
        return {"stopped_at": trainer.step}
    table = pa.table({f.name: [r[f.name] for r in trainer.metrics] for f in TRAIN_METRICS}, schema=TRAIN_METRICS)
    io.write_table(table, io.join(out, "metrics.parquet"))
    io.write_bytes(io.join(out, "training.png"), figure(trainer.metrics, [k["label"] for k in m["skills"]],
                                                        params.mixing.method))  # fmt: skip
    last = [r for r in trainer.metrics if r["step"] == trainer.step]
    seconds = time.monotonic() - start  # this process's share, evaluations included
    tokens = (trainer.step - start_step) * params.batch_size * params.seq_len
    summary = {"stage": "train", "config": run_config, "steps": trainer.step, "device": device,
               "seconds": seconds, "tokens_per_second": tokens / seconds if tokens else None,
               "parameters": sum(p.numel() for p in trainer.model.parameters()),
               "final_val_loss": {str(r["skill"]): r["val_loss"] for r in last},
               "mean_final_val_loss": float(np.mean([r["val_loss"] for r in last])),
               "final_weights": trainer.weights.tolist()}  # fmt: skip
    io.write_json(io.join(out, "summary.json"), summary)
    return summary


def proxy(manifest_uri: str, run: str, params: TrainParams, device: str = "cpu") -> dict:
    """One proxy run, cached: trained into RUN/work/proxies/<fp>/ (fp over the params and the manifest's bytes)
    unless committed there. Returns its summary with `uri`, `fingerprint` and `metrics` (the loss curves).
    The final model's weights stay as model.pt (DsDm reads proxies); the optimizer checkpoint is removed."""
    manifest_uri = manifest_path(manifest_uri)
    fp = params.fingerprint(hashlib.sha256(io.read_bytes(manifest_uri)).hexdigest())
    out = io.join(run, "work", "proxies", fp)
    if (done := io.committed(out)) is not None:
        return done
    summary = train(manifest_uri, out, params, device)
    state = torch.load(_io.BytesIO(io.read_bytes(io.join(out, "checkpoint.pt"))), weights_only=False)
    _save(io.join(out, "model.pt"), state["trainer"]["model"])
    io.remove(io.join(out, "checkpoint.pt"))
    summary |= {"fingerprint": fp, "uri": out, "metrics": io.join(out, "metrics.parquet")}
    io.commit(out, summary)
    return summary


def curves(summary: dict) -> tuple[np.ndarray, np.ndarray]:
    """(steps (n,), validation losses (n, k)) of a finished run's metrics."""
    t = io.read_table(PartitionRef(uri=summary["metrics"], num_rows=0, table="train_metrics"))
    steps, skills = np.asarray(t["step"]), np.asarray(t["skill"])
    k, order = int(skills.max()) + 1, np.unique(steps)
    losses = np.full((len(order), k), np.nan)
    losses[np.searchsorted(order, steps), skills] = np.asarray(t["val_loss"])
    return order, losses


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


def skills_graph(manifest_uri: str, out: str, params: TrainParams, base_steps: int, device: str = "cpu") -> dict:
    """Train a base model on the manifest's weights for `base_steps`, then, from that base, `params.steps` steps
    on each skill alone; write graph.npy (A[i, j], relative loss drop), its heatmap and a summary."""
    m, data = skill_data(manifest_path(manifest_uri), params)
    weights = np.array([s["weight"] for s in m["skills"]])
    a, base_loss = graph.learn(data, m["tokenizer"]["vocab_size"], params, weights, base_steps, device)
    buf = _io.BytesIO()
    np.save(buf, a)
    io.write_bytes(io.join(out, "graph.npy"), buf.getvalue())
    labels = [f"{s['skill']}: {s['label']}"[:28] for s in m["skills"]]
    io.write_bytes(io.join(out, "graph.png"), graph_figure(a, labels))
    summary = {"stage": "skills-graph", "manifest": manifest_uri, "base_steps": base_steps,
               "steps_per_skill": params.steps, "base_val_loss": base_loss.tolist(), "graph": a.tolist(),
               "density": graph.density(a)}  # fmt: skip
    io.write_json(io.join(out, "summary.json"), summary)
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


MIXTURE_NAMES = ("manifest", "stratified", "natural", "skillit", "aioli")


def mixing_for(spec: str, manifest_uri: str, base: MixingParams) -> MixingParams:
    """The mixing a proxy run gets from a spec: `manifest` (its weights), `stratified`, `natural` (tokens
    available), `skillit` or `aioli` (online, with `base`'s settings), a mixture.json path, or comma-separated
    weights, one per skill. Static mixings carry no online settings, so their cached runs serve any of them."""
    m = io.read_json(manifest_uri)
    k = len(m["skills"])
    if spec in ("skillit", "aioli"):
        return base.model_copy(update={"method": spec, "weights": None})
    if spec == "manifest":
        weights = None
    elif spec == "stratified":
        weights = (1.0 / k,) * k
    elif spec == "natural":
        weights = tuple(float(s["tokens_available"]) for s in m["skills"])
    elif spec.endswith(".json"):
        if not io.exists(spec):
            raise InputError(f"mixture {spec}: no such file")
        weights = tuple(float(w) for w in io.read_json(spec)["weights"])
    else:
        try:
            weights = tuple(float(w) for w in spec.split(","))
        except ValueError:
            raise InputError(f"mixture {spec!r}: one of {', '.join(MIXTURE_NAMES)}, a mixture.json, or "
                             f"{k} comma-separated weights") from None  # fmt: skip
    if weights is not None and len(weights) != k:
        raise InputError(f"mixture {spec!r} has {len(weights)} weights; the manifest has {k} skills")
    return MixingParams(weights=weights)  # online settings left at their defaults: they do not change a static run


def mixture_label(spec: str) -> str:
    """How reports name a mixing spec: a mixture.json by its method and fingerprint, any other spec as given."""
    doc = io.read_json(spec) if spec.endswith(".json") and io.exists(spec) else {}
    return f"{doc['method']} {doc['fingerprint']}" if {"method", "fingerprint"} <= set(doc) else spec


def comparison(run: str, runs: list[tuple[str, int, dict]], labels: list[str], baseline: str | None) -> dict:
    """Write RUN/report/proxies/{summary.json, proxies.png} for (mixture, seed, proxy summary) runs; the summary."""
    finals = [(n, seed, np.array([s["final_val_loss"][str(j)] for j in range(len(labels))])) for n, seed, s in runs]
    rows = compare.table(finals, baseline)
    out = io.join(run, "report", "proxies")
    summary = {"stage": "proxies", "baseline": baseline, "mixtures": rows,
               "runs": [{"mixture": n, "seed": seed, "fingerprint": s["fingerprint"], "uri": s["uri"],
                         "final_val_loss": s["final_val_loss"], "final_weights": s["final_weights"]}
                        for n, seed, s in runs]}  # fmt: skip
    io.write_json(io.join(out, "summary.json"), summary)
    io.write_bytes(io.join(out, "proxies.png"), comparison_figure(finals, rows, labels, baseline))
    return summary


def comparison_figure(finals: list[tuple[str, int, np.ndarray]], rows: list[dict], labels: list[str],
                      baseline: str | None = None) -> bytes:  # fmt: skip
    """PNG: average per-skill loss per mixture (mean, sd and each seed), and per skill the mean final loss of
    each mixture minus the baseline's (or the losses themselves without one)."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 2.5]})
    names = [r["mixture"] for r in rows]
    a.bar(range(len(rows)), [r["mean"] for r in rows], yerr=[r["std"] for r in rows], color="#9ecae1", capsize=4)
    for i, r in enumerate(rows):
        a.plot([i] * len(r["per_seed"]), list(r["per_seed"].values()), "k.", ms=4)
    lo = min(min(r["per_seed"].values()) for r in rows)
    hi = max(max(r["per_seed"].values()) for r in rows)
    a.set_ylim(lo - 0.5 * (hi - lo + 1e-3), hi + 0.5 * (hi - lo + 1e-3))
    a.set_xticks(range(len(rows)), names, rotation=30, ha="right")
    a.set_ylabel("average per-skill validation loss")
    mean = {n: np.mean([f for m, _, f in finals if m == n], axis=0) for n in names}
    relative = baseline in mean and len(names) > 1  # one mixture alone is shown as it is
    shown = [n for n in names if n != baseline] if relative else names
    width = 0.8 / len(shown)
    for i, name in enumerate(shown):
        b.bar(np.arange(len(labels)) + i * width, mean[name] - (mean[baseline] if relative else 0), width, label=name)
    b.axhline(0, color="k", lw=0.5)
    b.set_xticks(np.arange(len(labels)) + 0.4 - width / 2, [f"{j}: {t}"[:18] for j, t in enumerate(labels)],
                 rotation=60, ha="right", fontsize=7)  # fmt: skip
    b.set_ylabel(f"final loss minus {baseline}'s (mean over seeds)" if relative else "final validation loss")
    b.legend(fontsize=7)
    return plots.png(fig)
