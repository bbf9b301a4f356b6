"""`skillmix law fit|predict|propose`: mixing laws on swarm CSVs in the format RegMix and Olmix publish (a ratios
file and a metrics file joined on the run id), from anyone's proxies. Options take their defaults and help from
schemas/config.py LawParams; heavy imports happen inside the commands."""

from __future__ import annotations

from typing import Annotated

import typer

from schemas.config import LAW_FAMILIES, LawParams
from skillmix.app import app, checked, console, fail
from skillmix.options import option

law = typer.Typer(help="Mixing laws on swarm CSVs: fit (with k-fold cross-validation), predict, propose a mixture.",
                  no_args_is_help=True)  # fmt: skip
app.add_typer(law, name="law", rich_help_panel="mixing laws")

LAW = LawParams()
SUM_TOL = (
    "accepted |1 - row sum| of a ratios row before it is renormalised (RegMix's files round shares to 3 "
    "decimals: 0.005 accepts them)"
)
SumTolOpt = Annotated[float, typer.Option(help=SUM_TOL)]


@law.command()
def fit(
    ratios: Annotated[str, typer.Option(help="ratios CSV: the run id, then one share per domain")],
    metrics: Annotated[str, typer.Option(help="metrics CSV: the run id, then one value per metric (lower is better)")],
    out: Annotated[str, typer.Option(help="directory for law.json, cv.csv and fit.png")],
    family: Annotated[str, option(LawParams, "family")] = LAW.family,
    folds: Annotated[int, option(LawParams, "folds")] = LAW.folds,
    seed: Annotated[int, option(LawParams, "seed")] = LAW.seed,
    sum_tol: SumTolOpt = 1e-3,
) -> None:
    """Fit a law to a swarm: each family cross-validated, the table, a predicted-vs-measured figure, the law."""
    if family not in LAW_FAMILIES:
        fail(f"invalid law option: --family {family!r}: one of {', '.join(LAW_FAMILIES)}")
    import numpy as np

    from tasks.mixing import lawfile

    doc = checked(lawfile.fit_files, ratios, metrics, out, family, folds, seed, sum_tol)
    console.print(f"{doc['runs']} runs, {len(doc['domains'])} domains, {len(doc['metrics'])} metrics; "
                  f"{doc['folds']}-fold cross-validation (mean over metrics):")  # fmt: skip
    for c, per in doc["cv"].items():
        console.print(f"  {c:12s} spearman {np.mean([s['spearman'] for s in per.values()]):.4f}  "
                      f"mae {np.mean([s['mae'] for s in per.values()]):.4f}")  # fmt: skip
    for name, why in doc["failed"].items():
        console.print(f"  {name:12s} could not fit: {why}")
    chosen = sorted(set(doc["chosen"].values()))
    console.print(f"law: {family}" + (f" (per metric: {', '.join(chosen)})" if family == "auto" else ""))
    console.print(f"-> {out}/law.json, {out}/cv.csv, {out}/fit.png")


@law.command()
def predict(
    law_dir: Annotated[str, typer.Argument(help="a directory written by `skillmix law fit`")],
    ratios: Annotated[str, typer.Option(help="ratios CSV of the mixtures to predict")],
    out: Annotated[str, typer.Option(help="predictions CSV: the id column, then one column per fitted metric")],
    sum_tol: SumTolOpt = 1e-3,
) -> None:
    """Predict every fitted metric for each mixture of a ratios CSV."""
    from tasks.mixing import lawfile

    n = checked(lawfile.predict_files, law_dir, ratios, out, sum_tol)
    console.print(f"{n} mixtures predicted -> {out}")


@law.command()
def propose(
    law_dir: Annotated[str, typer.Argument(help="a directory written by `skillmix law fit`")],
    out: Annotated[str, typer.Option(help="the proposed mixture.json")],
    objective: Annotated[str, typer.Option(help="mean (of every metric) or one metric's name")] = "mean",
    tokens: Annotated[str | None, typer.Option(help="`domain,tokens` CSV: the tokens each domain holds")] = None,
    budget: Annotated[float | None, typer.Option(help="tokens of the run the mixture is for (with --tokens)")] = None,
    max_repeat: Annotated[float, option(LawParams, "max_repeat")] = LAW.max_repeat,
    prior: Annotated[
        str | None, typer.Option(help="natural (the --tokens shares) or a mixture.json: the KL penalty's reference")
    ] = None,
    kl: Annotated[float, typer.Option(help="weight of the KL penalty to --prior")] = 0.0,
    bounds: Annotated[str | None, typer.Option(help="`domain,lower,upper` CSV of share bounds")] = None,
    seed: Annotated[int, option(LawParams, "seed")] = LAW.seed,
    top_k: Annotated[int, option(LawParams, "top_k")] = LAW.top_k,
    trust: Annotated[
        bool, typer.Option(help="keep each share within the largest the swarm tried (the law is not fitted beyond)")
    ] = True,
) -> None:
    """The mixture the fitted law predicts best, under the budget's repetition caps, bounds and a KL penalty.
    Without --tokens or --prior, the search starts from the swarm's mean mixture ("natural" in the output)."""
    if kl < 0 or max_repeat <= 0 or top_k < 1:
        fail("invalid law option: --kl must be >= 0, --max-repeat > 0, --top-k >= 1")
    from tasks.mixing import lawfile

    doc = checked(lawfile.propose_files, law_dir, out, objective, tokens, budget, max_repeat, prior, kl, bounds,
                  seed, top_k, trust)  # fmt: skip
    s = doc.swarm
    console.print(f"{s.family} law ({s.how}), objective {s.objective}: predicted {s.predicted['proposal']:.4f}; "
                  f"stratified {s.predicted['stratified']:.4f}, natural {s.predicted['natural']:.4f}")  # fmt: skip
    top = sorted(doc.skills, key=lambda k: -k.weight)[:8]
    console.print(
        "weights: " + ", ".join(f"{k.label} {k.weight:.3f}" for k in top) + (" ..." if len(doc.skills) > 8 else "")
    )
    for kind, names in s.binding.items():
        console.print(f"at the {kind} bound: {', '.join(names)}")
    console.print(f"-> {out}")
