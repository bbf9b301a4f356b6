"""The mix stage's BiMix method over files: a design of training-free mixtures -> proxy runs on a manifest's shards
(the proxies stage, cached) -> the law fitted to their per-skill validation curves -> its optimal mixture, written as
mix/<fp>/mixture.json like every mixture. No Prefect: the flow runs the proxies between `design` and `fit`.

With select dsdm (the combined mode) the law's weights go across skills and the top-scored documents are kept within
each, as for any method (stage.finish). The proxies train on the manifest they are given: the law describes the
data it holds, so emit a combined-mode selection first for a law of the selected documents.

The fit's quality is reported twice: R^2 of log L per skill (all design mixtures, in sample), and the error
predicting the `holdout` mixture's curves from a fit on the other mixtures (the paper's unseen-mixture check).
"""

from __future__ import annotations

import numpy as np

from schemas.config import MixingParams, MixParams
from schemas.mixture import LawFit, MixtureDoc
from schemas.outputs import ProxyRun
from schemas.refs import ManifestRef, MixPlan, ProxySpec, TokensRef
from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.mix import stage
from tasks.mixing.bimix import BiMixLaw


def design(tokens: TokensRef, manifest: ManifestRef, params: MixParams) -> list[ProxySpec]:
    """The proxy runs BiMix fits: each design mixture (training-free weights of `tokens`) once per seed, on the
    shards of `manifest`, which must hold every skill."""
    stage.manifest_of_every_skill(tokens, manifest, "BiMix's")
    x = stage.inputs(tokens)
    b = params.bimix
    design = {name: tuple(float(v) for v in stage.weights(tokens.skills, x, name, params)[0]) for name in b.design}
    return [ProxySpec(name=name, seed=seed, params=b.proxy.model_copy(update={"seed": seed, "mixing": MixingParams(
                weights=w)})) for name, w in design.items() for seed in b.seeds]  # fmt: skip


def design_weights(specs: list[ProxySpec]) -> dict[str, list[float]]:
    return {s.name: list(s.params.mixing.weights) for s in specs}


def observations(specs: list[ProxySpec], runs: list[ProxyRun], skip: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{design mixture: (steps (n,), losses (n, k) averaged over its seeds)}, steps before skip x steps dropped."""
    by: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for spec, run in zip(specs, runs, strict=True):
        steps, losses = np.asarray(run.curves.steps), np.asarray(run.curves.losses)
        keep = steps >= max(1.0, skip * spec.params.steps)
        by.setdefault(spec.name, []).append((steps[keep], losses[keep]))
    out = {}
    for name, curves in by.items():
        if any(not np.array_equal(c[0], curves[0][0]) for c in curves):
            raise ValueError(f"{name}: its seeds were evaluated at different steps")
        out[name] = (curves[0][0], np.mean([c[1] for c in curves], axis=0))
    return out


def _stack(obs: dict, design: dict, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = np.concatenate([np.tile(design[n], (len(obs[n][0]), 1)) for n in names])
    s = np.concatenate([obs[n][0] for n in names]).astype(np.float64)
    return r, s, np.concatenate([obs[n][1] for n in names])


def fit(p: MixPlan, params: MixParams, specs: list[ProxySpec], runs: list[ProxyRun]) -> MixtureDoc:
    """Fit the law, check it on the held-out mixture, optimise; write and commit mixture.json (+ report figure)."""
    x = stage.inputs(p.tokens)
    b = params.bimix
    obs = observations(specs, runs, b.skip)
    design = {n: np.asarray(w) for n, w in design_weights(specs).items()}
    names = list(design)
    if min(len(obs[n][0]) for n in names) < 2:
        raise InputError("BiMix needs at least 2 evaluations per proxy after the skipped warmup; lower "
                         "--eval-every or raise --steps")  # fmt: skip
    others = [n for n in names if n != b.holdout]
    check = BiMixLaw().fit(*_stack(obs, design, others))
    steps_h, loss_h = obs[b.holdout]
    pred_h = check.predict(np.tile(design[b.holdout], (len(steps_h), 1)), steps_h)
    law = BiMixLaw().fit(*_stack(obs, design, names))
    target = b.target_steps or b.proxy.steps
    tried = np.array(list(design.values()))
    bounds = (tried.min(0), tried.max(0)) if b.bounded else (None, None)
    w = law.optimal_mixture(target, lower=bounds[0], upper=bounds[1])
    predicted = {n: law.predict(design[n], target) for n in names} | {"bimix": law.predict(w, target)}
    measured = {n: obs[n][1][-1] for n in names}
    coef = {key: getattr(law, f"{key}_") for key in ("A", "B", "C", "alpha", "beta", "r2")}
    extra = {i: {"bimix": {key: float(v[i]) for key, v in coef.items()}
                 | {"predicted_loss": float(predicted["bimix"][i])}} for i in range(len(w))}  # fmt: skip
    scored = stage.scored_documents(p) if params.selects else None  # combined mode: DsDm within skills
    doc = stage.finish(p, params, x, w, extra, scored)
    fitted = LawFit.model_validate({
        "form": "L_i(r, s) = (A_i / r^alpha_i) (B_i / s^beta_i + C_i), A_i = 1 (A and B, C share a factor)",
        "target_steps": target,
        "bounds": None if bounds[0] is None else {"lower": bounds[0].tolist(), "upper": bounds[1].tolist()},
        "r2_log_loss": [float(v) for v in law.r2_],
        "holdout": {"mixture": b.holdout, "fitted_on": others,
                    "mape": float(np.mean(np.abs(pred_h / loss_h - 1))),
                    "mape_final": float(np.mean(np.abs(pred_h[-1] / loss_h[-1] - 1)))},
        "design": {n: {"weights": design[n].tolist(), "measured_final_mean": float(measured[n].mean()),
                       "predicted_mean": float(predicted[n].mean()), "final_step": int(obs[n][0][-1])}
                   for n in names},
        "predicted_mean": {n: float(v.mean()) for n, v in predicted.items()},
        "proxies": [{"mixture": s.name, "seed": s.seed, "fingerprint": r.fingerprint}
                    for s, r in zip(specs, runs, strict=True)],
    })  # fmt: skip
    provenance = doc.provenance.model_copy(update={"manifest": p.manifest.manifest})
    doc = doc.model_copy(update={"law": fitted, "provenance": provenance})
    png = figure(obs, design, law, check, b.holdout, predicted, measured, [e.label for e in x.entries])
    io.write_bytes(io.join(p.report, "bimix.png"), png)
    return stage.write(p, doc)


def figure(obs: dict, design: dict, law: BiMixLaw, check: BiMixLaw, holdout: str, predicted: dict, measured: dict,
           labels: list[str]) -> bytes:  # fmt: skip
    """PNG: per skill, measured curves (dots) and the law's (lines) for each design mixture; predicted vs
    measured losses of the held-out mixture (from the fit without it); the predicted mean loss of each mixture."""
    plt = plots.pyplot()
    k = len(labels)
    cols = max(2, min(4, k))
    rows = -(-k // cols) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    colors = {n: f"C{i}" for i, n in enumerate(design)}
    for i in range(k):
        ax = axes.ravel()[i]
        for n, (steps, losses) in obs.items():
            ax.scatter(steps, losses[:, i], s=6, color=colors[n])
            grid = np.linspace(steps.min(), steps.max(), 50)
            ax.plot(grid, law.predict(np.tile(design[n], (50, 1)), grid)[:, i], color=colors[n], lw=0.8,
                    label=n if i == 0 else None)  # fmt: skip
        ax.set_title(f"{i}: {labels[i]}"[:32], fontsize=7)
        ax.tick_params(labelsize=6)
    handles, names = axes.ravel()[0].get_legend_handles_labels()
    if cols > 2:  # in the bottom row's free panel
        axes[-1, 2].legend(handles, names, fontsize=7, loc="center", title="design mixture")
    else:
        fig.legend(handles, names, fontsize=6, loc="lower right")
    ax = axes[-1, 0]
    ax.axis("on")
    steps, losses = obs[holdout]
    pred = check.predict(np.tile(design[holdout], (len(steps), 1)), steps)
    ax.scatter(losses.ravel(), pred.ravel(), s=6)
    lo, hi = float(min(losses.min(), pred.min())), float(max(losses.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], color="k", lw=0.5)
    ax.set_xlabel(f"measured loss ({holdout}, held out)", fontsize=7)
    ax.set_ylabel("predicted by the fit without it", fontsize=7)
    ax = axes[-1, 1]
    ax.axis("on")
    names = list(predicted)
    ax.bar(range(len(names)), [predicted[n].mean() for n in names], color="tab:gray", label="predicted")
    ax.scatter([j for j, n in enumerate(names) if n in measured], [measured[n].mean() for n in names if n in measured],
               color="tab:red", zorder=3, s=12, label="measured (last evaluation)")  # fmt: skip
    ax.set_xticks(range(len(names)), names, rotation=30, fontsize=6)
    ax.set_ylabel("mean per-skill loss", fontsize=7)
    ymin = min(min(v.mean() for v in predicted.values()), min(v.mean() for v in measured.values()))
    ax.set_ylim(bottom=0.98 * ymin)
    ax.legend(fontsize=6)
    return plots.png(fig)
