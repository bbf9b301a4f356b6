"""`skillmix train`, `skillmix proxies` and `skillmix skills-graph`: training on a manifest's shards.

Registered on the app by skillmix.cli. Heavy imports (torch, Prefect) happen inside the commands.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from skillmix.common import (
    DaskOpt,
    RunOpt,
    WorkersOpt,
    _fail,
    _local_api,
    _proxy,
    _run_flow,
    _validated,
    _with_progress,
    console,
)

PresetOpt = Annotated[str, typer.Option(help="model size: tiny (CPU, tests), small (4 layers) or 125m (GPU)")]
StepsOpt = Annotated[int, typer.Option(min=1, help="optimizer steps")]
SeqOpt = Annotated[int, typer.Option(help="training sequence length, tokens")]
BatchOpt = Annotated[int, typer.Option(help="sequences per step")]
EvalOpt = Annotated[int, typer.Option(help="steps between per-skill evaluations and checkpoints")]
RoundOpt = Annotated[int, typer.Option(help="steps per mixing round (skillit, aioli)")]
EtaOpt = Annotated[float | None, typer.Option(help="step size of the online rule (default: Skill-It 0.5, Aioli 0.2)")]
GraphOpt = Annotated[str | None, typer.Option(help="Skill-It skills graph (.npy, k x k, from skills-graph)")]
TargetOpt = Annotated[
    str | None, typer.Option(help="Skill-It fine-tuning: comma-separated skills to improve (default: all)")
]
DeviceOpt = Annotated[str, typer.Option(help="cpu, cuda or cuda:N")]
LpOpt = Annotated[int, typer.Option(help="Aioli: training steps per probe interval")]
SweepsOpt = Annotated[int, typer.Option(help="Aioli: random orders of the probes per round")]


def _graph(path: str | None) -> tuple[tuple[float, ...], ...] | None:
    if path is None:
        return None
    import numpy as np

    try:
        a = np.load(path)
    except (OSError, ValueError) as e:
        _fail(f"--graph {path}: cannot read a .npy matrix ({e})")
    return tuple(tuple(float(v) for v in row) for row in np.atleast_2d(a))


def _params(kind: str, mixing: str, graph: str | None, targets: str | None, eta: float | None,
            update_every: int, lp_steps: int = 2, sweeps: int = 1, **train):  # fmt: skip
    """TrainParams from the shared options, or exit 2 naming the invalid one."""
    from schemas.config import AioliParams, MixingParams, SkillItParams, TrainParams

    if mixing not in ("static", "skillit", "aioli"):
        _fail(f"invalid {kind} option: --mixing {mixing!r}: one of static, skillit, aioli")
    try:
        target_list = None if targets is None else tuple(int(t) for t in targets.split(","))
    except ValueError:
        _fail(f"invalid {kind} option: --target-skills {targets!r}: comma-separated skill numbers")
    graph_rows = _graph(graph)

    def build() -> TrainParams:
        skillit = SkillItParams(graph=graph_rows, targets=target_list, **({"eta": eta} if eta is not None else {}))
        aioli = AioliParams(lp_steps=lp_steps, sweeps=sweeps, **({"eta": eta} if eta is not None else {}))
        m = MixingParams(method=mixing, update_every=update_every, skillit=skillit, aioli=aioli)
        return TrainParams(mixing=m, **train)

    return _validated(kind, build)


def _device(device: str) -> None:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        _fail(f"--device {device}: no CUDA device here (torch {torch.__version__}); use --device cpu")


def train(
    manifest: Annotated[str, typer.Argument(help="a manifest.json written by `skillmix emit`, or a run (its latest)")],
    out: Annotated[str, typer.Option("--out", help="directory for checkpoints, metrics.parquet and plots")],
    preset: PresetOpt = "tiny",
    steps: StepsOpt = 200,
    mixing: Annotated[str, typer.Option(help="static (manifest weights), skillit or aioli")] = "static",
    graph: GraphOpt = None,
    target_skills: TargetOpt = None,
    eta: EtaOpt = None,
    update_every: RoundOpt = 50,
    lp_steps: LpOpt = 2,
    sweeps: SweepsOpt = 1,
    seq_len: SeqOpt = 128,
    batch_size: BatchOpt = 8,
    lr: Annotated[float, typer.Option(help="peak learning rate")] = 1e-3,
    eval_every: EvalOpt = 50,
    seed: Annotated[int, typer.Option(help="model init and sampling seed")] = 0,
    compile_: Annotated[bool, typer.Option("--compile", help="torch.compile the model (GPU)")] = False,
    device: DeviceOpt = "cpu",
) -> None:
    """Train a GPT-2-style model on MANIFEST's shards; resumes from OUT/checkpoint.pt; per-skill losses."""
    from flows.train import train as train_flow
    from skillmix.progress import watch
    from tasks.common.errors import InputError
    from tasks.train import stage

    params = _params("train", mixing, graph, target_skills, eta, update_every, lp_steps, sweeps, preset=preset,
                     steps=steps, seq_len=seq_len, batch_size=batch_size, lr=lr, eval_every=eval_every, seed=seed,
                     compile=compile_)  # fmt: skip
    try:
        manifest = stage.manifest_path(manifest)  # before Prefect starts: a typo'd path fails at once
    except InputError as e:
        _fail(str(e))
    _device(device)
    _local_api(None)
    with watch(console, [("train", f"{out.rstrip('/')}/progress/*.json", "steps")]):
        s = _run_flow(train_flow, manifest, out, params, device)
    t = Table(title=f"{mixing} training: {s['steps']} steps, {s['parameters']:,} parameters", header_style="bold")
    for col in ("skill", "final validation loss", "final weight"):
        t.add_column(col, justify="right")
    for k, loss in s["final_val_loss"].items():
        t.add_row(k, f"{loss:.4f}", f"{s['final_weights'][int(k)]:.4f}")
    t.add_row("mean", f"{s['mean_final_val_loss']:.4f}", "")
    console.print(t)
    console.print(f"metrics: {out}/metrics.parquet (+ training.png, summary.json, checkpoint.pt)")


def proxies(
    run: RunOpt,
    mixture: Annotated[
        list[str],
        typer.Option(help="repeatable: manifest, stratified, natural, skillit, aioli, a mixture.json or w1,w2,..."),
    ],
    seeds: Annotated[str, typer.Option(help="comma-separated seeds; each mixture is trained once per seed")] = "0",
    baseline: Annotated[str | None, typer.Option(help="mixture the others are compared with")] = "stratified",
    preset: PresetOpt = "tiny",
    steps: StepsOpt = 200,
    seq_len: SeqOpt = 128,
    batch_size: BatchOpt = 8,
    lr: Annotated[float, typer.Option(help="peak learning rate")] = 1e-3,
    eval_every: EvalOpt = 50,
    update_every: RoundOpt = 50,
    eta: EtaOpt = None,
    lp_steps: LpOpt = 2,
    sweeps: SweepsOpt = 1,
    graph: GraphOpt = None,
    device: DeviceOpt = "cpu",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Proxy runs: a short training per mixture and seed on RUN's latest manifest (each cached under
    RUN/work/proxies/), compared by average per-skill validation loss -> RUN/report/proxies/."""
    from flows.runtime import task_runner
    from flows.train import proxies as proxies_flow
    from tasks.common import io
    from tasks.common.errors import InputError
    from tasks.shards import stage as shards_stage
    from tasks.train import stage

    try:
        seed_list = [int(s) for s in seeds.split(",")]
    except ValueError:
        _fail(f"invalid proxies option: --seeds {seeds!r}: comma-separated integers")
    base = _params("proxies", "static", graph, None, eta, update_every, lp_steps, sweeps, preset=preset, steps=steps,
                   seq_len=seq_len, batch_size=batch_size, lr=lr, eval_every=eval_every)  # fmt: skip
    try:
        manifest = shards_stage.latest_manifest(run)
        mixings = {stage.mixture_label(spec): stage.mixing_for(spec, manifest, base.mixing)
                   for spec in dict.fromkeys(mixture)}  # fmt: skip
    except InputError as e:
        _fail(str(e))
    baseline = stage.mixture_label(baseline) if baseline in mixture else None
    plan = [(spec, seed, base.model_copy(update={"seed": seed, "mixing": m}))
            for spec, m in mixings.items() for seed in seed_list]  # fmt: skip
    _device(device)
    _local_api(dask_address)
    flow = proxies_flow.with_options(task_runner=task_runner(dask_address, workers))
    console.print(f"{len(plan)} proxy runs of {steps} steps ({len(mixings)} mixtures x {len(seed_list)} seeds); "
                  "committed ones are read, not trained")  # fmt: skip
    summaries = _with_progress(run, ["proxies"], flow, manifest, run, [p for _, _, p in plan], device)
    labels = [k["label"] for k in io.read_json(manifest)["skills"]]
    report = stage.comparison(run, [(n, s, x) for (n, s, _), x in zip(plan, summaries, strict=True)], labels, baseline)
    t = Table(title=f"proxy runs: average per-skill validation loss after {steps} steps", header_style="bold")
    for col in ("mixture", "mean", "std", "seeds", f"vs {baseline}" if baseline else "", "wins"):
        t.add_column(col, justify="right")
    for r in report["mixtures"]:
        diff = f"{r['mean_diff']:+.4f}" if "mean_diff" in r else ""
        wins = f"{r['wins']}/{r['paired_seeds']}" if "wins" in r else ""
        t.add_row(escape(r["mixture"]), f"{r['mean']:.4f}", f"{r['std']:.4f}", str(len(r["seeds"])), diff, wins)
    console.print(t)
    console.print(f"report: {io.join(run, 'report', 'proxies', 'summary.json')} (+ proxies.png)")


def skills_graph(
    run: RunOpt,
    out: Annotated[str | None, typer.Option("--out", help="directory (default RUN/report/skills-graph)")] = None,
    base_steps: Annotated[int, typer.Option(min=0, help="steps of the shared base model on the manifest's mix")] = 100,
    steps: Annotated[int, typer.Option(min=1, help="steps on each skill alone, from the base")] = 50,
    preset: PresetOpt = "tiny",
    seq_len: SeqOpt = 128,
    device: DeviceOpt = "cpu",
) -> None:
    """Skill-It's skills graph for RUN's latest manifest: A(i, j) = relative loss drop of skill j after skill i."""
    from flows.train import skills_graph as graph_flow
    from tasks.common.errors import InputError
    from tasks.shards import stage as shards_stage

    params = _params("skills-graph", "static", None, None, None, 50, preset=preset, steps=steps, seq_len=seq_len,
                     eval_every=steps)  # fmt: skip
    try:
        manifest = shards_stage.latest_manifest(run)
    except InputError as e:
        _fail(str(e))
    out = out or f"{run.rstrip('/')}/report/skills-graph"
    _device(device)
    _local_api(None)
    s = _run_flow(graph_flow, manifest, out, params, base_steps, device)
    console.print(
        f"skills graph of {len(s['graph'])} skills, density {s['density']:.2f}: {out}/graph.npy "
        f"(+ graph.png); use it with `skillmix train MANIFEST --mixing skillit --graph {out}/graph.npy`"
    )


DocSeqOpt = Annotated[int, typer.Option(help="tokens per document, its first ones: what proxies train on and score")]
TargetsOpt = Annotated[
    list[str], typer.Option("--targets", help="JSONL of target examples ('text', optional 'target'); repeatable")
]


def _check_targets(run: str, targets: list[str]) -> None:
    """Fail early, before any server or model starts, on bad target files or a run without tokens."""
    from tasks.attribution import stage as attribution_stage
    from tasks.common.errors import InputError
    from tasks.tokens import stage as tokens_stage

    try:
        attribution_stage.read_targets(targets)
        tokens_stage.latest(run)
    except InputError as e:
        _fail(str(e))


def attribute(
    run: RunOpt,
    targets: TargetsOpt,
    models: Annotated[int, typer.Option(min=1, help="proxies, each trained on a random half of the documents")] = 4,
    steps: StepsOpt = 200,
    preset: PresetOpt = "tiny",
    seq_len: DocSeqOpt = 128,
    proj_dim: Annotated[int | None, typer.Option(help="projection dimension (default min(1024, documents/4))")] = None,
    projection: Annotated[str, typer.Option(help="sparse (fast on CPU) or gaussian")] = "sparse",
    max_docs: Annotated[int | None, typer.Option(help="score a seeded sample of this many documents")] = None,
    seed: Annotated[int, typer.Option(help="halves, proxies and projections")] = 0,
) -> None:
    """DsDm attribution: score RUN's documents towards target tasks (TRAK on proxies); higher = more beneficial."""
    from flows.attribution import attribution as attribution_flow
    from schemas.config import AttributionParams

    def build() -> AttributionParams:
        proxy = _proxy(preset, steps, seq_len=seq_len, seed=seed)
        return AttributionParams(proxy=proxy, models=models, proj_dim=proj_dim, projection=projection,
                                 max_docs=max_docs, seed=seed)  # fmt: skip

    params = _validated("attribute", build)
    _check_targets(run, targets)
    _local_api(None)
    s = _with_progress(run, ["attribution"], attribution_flow, run, targets, params)
    console.print(f"attribution: {s['documents']:,} documents x {len(s['targets'])} targets in {s['seconds']:.0f} s; "
                  "per skill, the mean score of its documents (higher = more beneficial to the target):")  # fmt: skip
    table = Table()
    table.add_column("skill", justify="right")
    for name in s["targets"]:
        table.add_column(escape(name), justify="right")
    skills = next(iter(s["per_skill_mean"].values()))
    for k in skills:
        table.add_row(k, *[f"{s['per_skill_mean'][n][k]:+.3g}" for n in s["targets"]])
    console.print(table)
    console.print(f"scores: {run.rstrip('/')}/attributes/attribution/{s['fingerprint']}/part-00000.parquet "
                  f"(+ report/attribution/attribution.png)")  # fmt: skip


def attribute_skills(
    run: RunOpt,
    targets: TargetsOpt,
    subsets: Annotated[int, typer.Option(min=4, help="proxy runs, each on a random half of the skills")] = 32,
    steps: StepsOpt = 100,
    preset: PresetOpt = "tiny",
    seq_len: DocSeqOpt = 128,
    seed: Annotated[int, typer.Option(help="skill subsets and proxies")] = 0,
) -> None:
    """Group-level datamodels: each skill's benefit to the targets, from proxies trained on random skill subsets."""
    from flows.attribution import attribution_skills as skills_flow
    from schemas.config import SkillAttributionParams

    def build() -> SkillAttributionParams:
        proxy = _proxy(preset, steps, seq_len=seq_len, seed=seed)
        return SkillAttributionParams(proxy=proxy, subsets=subsets, seed=seed)

    params = _validated("attribute-skills", build)
    _check_targets(run, targets)
    _local_api(None)
    s = _with_progress(run, ["attribution-skills"], skills_flow, run, targets, params)
    names = list(s["targets"])
    cv = ", ".join(f"{escape(n)} {v:+.2f}" if v is not None else f"{escape(n)} -" for n, v in s["cv_spearman"].items())
    console.print(f"attribution-skills: {params.subsets} runs in {s['seconds']:.0f} s; held-out Spearman of predicted "
                  f"vs measured target loss: {cv}. Benefit per skill (higher = lowers the target loss; only "
                  "differences between skills are identified):")  # fmt: skip
    table = Table()
    for col in ("skill", "label", *names):
        table.add_column(escape(col), justify="left" if col == "label" else "right")
    for k in s["skills"]:
        table.add_row(str(k["skill"]), escape(k["label"][:40]), *[f"{k['benefit'][n]:+.4f}" for n in names])
    console.print(table)
    console.print(f"results: {run.rstrip('/')}/attribution-skills/{s['fingerprint']}/skills.json "
                  f"(+ report/attribution-skills/skills.png)")  # fmt: skip
