"""Training on a manifest's shards: `skillmix train`, `skillmix proxies` (a design of cached proxy runs compared by
average per-skill loss) and `skillmix skills-graph` (Skill-It's graph from proxy runs). Options take their defaults
and help from schemas/config.py; heavy imports happen inside the commands."""

from __future__ import annotations

from typing import Annotated

import typer

from schemas.config import AioliParams, MixingParams, SkillItParams, TrainParams
from skillmix import show
from skillmix.app import app, checked, console, fail, latest, local_api, validated, with_progress
from skillmix.options import DaskOpt, DeviceOpt, RunOpt, WorkersOpt, default, integers, option

PANEL = "training and proxies"

PresetOpt = Annotated[str, option(TrainParams, "preset")]
StepsOpt = Annotated[int, option(TrainParams, "steps", min=1)]
SeqOpt = Annotated[int, option(TrainParams, "seq_len")]
BatchOpt = Annotated[int, option(TrainParams, "batch_size")]
LrOpt = Annotated[float, option(TrainParams, "lr")]
EvalOpt = Annotated[int, option(TrainParams, "eval_every")]
RoundOpt = Annotated[int, option(MixingParams, "update_every")]
EtaOpt = Annotated[
    float | None,
    typer.Option(
        help="step size of the online rule (default: Skill-It "
        f"{default(SkillItParams, 'eta')}, Aioli {default(AioliParams, 'eta')})"
    ),
]
GraphOpt = Annotated[str | None, typer.Option(help="Skill-It skills graph (.npy, k x k, from skills-graph)")]
TargetOpt = Annotated[str | None, option(SkillItParams, "targets", note="comma-separated")]
LpOpt = Annotated[int, option(AioliParams, "lp_steps")]
SweepsOpt = Annotated[int, option(AioliParams, "sweeps")]


def _graph(path: str | None) -> tuple[tuple[float, ...], ...] | None:
    if path is None:
        return None
    import numpy as np

    try:
        a = np.load(path)
    except (OSError, ValueError) as e:
        fail(f"--graph {path}: cannot read a .npy matrix ({e})")
    return tuple(tuple(float(v) for v in row) for row in np.atleast_2d(a))


def train_params(kind: str, mixing: str, graph: str | None, targets: str | None, eta: float | None,
                 update_every: int, lp_steps: int = 2, sweeps: int = 1, **train) -> TrainParams:  # fmt: skip
    """TrainParams from the shared options, or exit 2 naming the invalid one."""
    if mixing not in ("static", "skillit", "aioli"):
        fail(f"invalid {kind} option: --mixing {mixing!r}: one of static, skillit, aioli")
    target_list = None if targets is None else integers(targets, "--target-skills", kind)
    graph_rows = _graph(graph)

    def build() -> TrainParams:
        skillit = SkillItParams(graph=graph_rows, targets=target_list, **({"eta": eta} if eta is not None else {}))
        aioli = AioliParams(lp_steps=lp_steps, sweeps=sweeps, **({"eta": eta} if eta is not None else {}))
        m = MixingParams(method=mixing, update_every=update_every, skillit=skillit, aioli=aioli)
        return TrainParams(mixing=m, **train)

    return validated(kind, build)


def _device(device: str) -> None:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        fail(f"--device {device}: no CUDA device here (torch {torch.__version__}); use --device cpu")


@app.command(rich_help_panel=PANEL)
def train(
    manifest: Annotated[str, typer.Argument(help="a manifest.json written by `skillmix emit`, or a run (its latest)")],
    out: Annotated[str, typer.Option("--out", help="directory for checkpoints, metrics.parquet and plots")],
    preset: PresetOpt = default(TrainParams, "preset"),
    steps: StepsOpt = default(TrainParams, "steps"),
    mixing: Annotated[str, option(MixingParams, "method", "--mixing")] = default(MixingParams, "method"),
    graph: GraphOpt = None,
    target_skills: TargetOpt = None,
    eta: EtaOpt = None,
    update_every: RoundOpt = default(MixingParams, "update_every"),
    lp_steps: LpOpt = default(AioliParams, "lp_steps"),
    sweeps: SweepsOpt = default(AioliParams, "sweeps"),
    seq_len: SeqOpt = default(TrainParams, "seq_len"),
    batch_size: BatchOpt = default(TrainParams, "batch_size"),
    lr: LrOpt = default(TrainParams, "lr"),
    eval_every: EvalOpt = default(TrainParams, "eval_every"),
    seed: Annotated[int, option(TrainParams, "seed")] = default(TrainParams, "seed"),
    compile_: Annotated[bool, option(TrainParams, "compile", "--compile")] = default(TrainParams, "compile"),
    device: DeviceOpt = "cpu",
) -> None:
    """Train a GPT-2-style model on MANIFEST's shards; resumes from OUT/checkpoint.pt; per-skill losses."""
    params = train_params("train", mixing, graph, target_skills, eta, update_every, lp_steps, sweeps, preset=preset,
                          steps=steps, seq_len=seq_len, batch_size=batch_size, lr=lr, eval_every=eval_every,
                          seed=seed, compile=compile_)  # fmt: skip
    from flows.train import train as train_flow
    from skillmix.progress import watch
    from tasks.common import catalog
    from tasks.report import sections

    manifest = checked(catalog.manifest_of, manifest)  # before Prefect starts: a typo'd path fails at once
    _device(device)
    local_api(None)
    with watch(console, [("train", f"{out.rstrip('/')}/progress/*.json", "steps")]):
        s = checked(train_flow, manifest, out, params, device)
    show.section(console, sections.train(s, out))


@app.command(rich_help_panel=PANEL)
def proxies(
    run: RunOpt,
    mixture: Annotated[
        list[str],
        typer.Option(help="repeatable: manifest, stratified, natural, skillit, aioli, a mixture.json or w1,w2,..."),
    ],
    seeds: Annotated[str, typer.Option(help="comma-separated seeds; each mixture is trained once per seed")] = "0",
    baseline: Annotated[str | None, typer.Option(help="mixture the others are compared with")] = "stratified",
    preset: PresetOpt = default(TrainParams, "preset"),
    steps: StepsOpt = default(TrainParams, "steps"),
    seq_len: SeqOpt = default(TrainParams, "seq_len"),
    batch_size: BatchOpt = default(TrainParams, "batch_size"),
    lr: LrOpt = default(TrainParams, "lr"),
    eval_every: EvalOpt = default(TrainParams, "eval_every"),
    update_every: RoundOpt = default(MixingParams, "update_every"),
    eta: EtaOpt = None,
    lp_steps: LpOpt = default(AioliParams, "lp_steps"),
    sweeps: SweepsOpt = default(AioliParams, "sweeps"),
    graph: GraphOpt = None,
    device: DeviceOpt = "cpu",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Proxy runs: a short training per mixture and seed on RUN's latest manifest (each cached by what it reads under
    RUN/proxies/runs/), compared by average per-skill validation loss -> RUN/proxies/<fp>/, RUN/report/proxies/."""
    seed_list = list(integers(seeds, "--seeds", "proxies"))
    base = train_params("proxies", "static", graph, None, eta, update_every, lp_steps, sweeps, preset=preset,
                        steps=steps, seq_len=seq_len, batch_size=batch_size, lr=lr, eval_every=eval_every)  # fmt: skip
    from flows.proxies import compare_mixtures
    from tasks.common import catalog
    from tasks.proxies import stage
    from tasks.report import sections

    manifest = latest(run, "emit")
    checked(stage.mixture_design, manifest, list(mixture), seed_list, base, baseline)  # bad specs fail here
    _device(device)
    local_api(dask_address)
    n = len(dict.fromkeys(mixture))
    console.print(f"{n * len(seed_list)} proxy runs of {steps} steps ({n} mixtures x {len(seed_list)} seeds); "
                  "committed ones are read, not trained")  # fmt: skip
    ref = with_progress(run, ["proxies"], compare_mixtures, run, manifest, list(mixture), seed_list, base, baseline,
                        device, dask_address, workers)  # fmt: skip
    show.section(console, sections.proxies(catalog.summary(ref)))
    console.print(f"report: {catalog.report(run, 'proxies')}/summary.json (+ proxies.png)")


@app.command("skills-graph", rich_help_panel=PANEL)
def skills_graph(
    run: RunOpt,
    out: Annotated[str | None, typer.Option("--out", help="directory (default RUN/report/skills-graph)")] = None,
    base_steps: Annotated[
        int,
        typer.Option(
            min=0,
            help="steps of the shared base model on the manifest's mix "
            "(0: every skill's run starts from the same untrained model)",
        ),
    ] = 100,
    steps: Annotated[int, typer.Option(min=1, help="steps on each skill alone, from the base")] = 50,
    preset: PresetOpt = default(TrainParams, "preset"),
    seq_len: SeqOpt = default(TrainParams, "seq_len"),
    device: DeviceOpt = "cpu",
    dask_address: DaskOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Skill-It's skills graph for RUN's latest manifest: A(i, j) = relative loss drop of skill j after skill i."""
    params = train_params("skills-graph", "static", None, None, None, default(MixingParams, "update_every"),
                          preset=preset, steps=steps, seq_len=seq_len, eval_every=steps)  # fmt: skip
    from flows.proxies import skills_graph as graph_flow
    from flows.runtime import task_runner
    from tasks.common import catalog
    from tasks.report import sections

    manifest = latest(run, "emit")
    out = out or catalog.report(run, "skills-graph")
    _device(device)
    local_api(dask_address)
    flow = graph_flow.with_options(task_runner=task_runner(dask_address, workers))
    s = with_progress(run, ["proxies"], flow, run, manifest, out, params, base_steps, device)
    show.section(console, sections.skills_graph(s, out))
