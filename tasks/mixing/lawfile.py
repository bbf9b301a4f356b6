"""A fitted law as a directory, shared by `skillmix law` (swarm CSVs) and `mix --method law` (the project's proxies):

    law.json   the fitted law (tasks.mixing.laws state), its domains, metrics, own domains and fit parameters
    cv.csv     per candidate (each family, the stack) and metric: k-fold Spearman rho and mean absolute error
    fit.png    measured vs out-of-fold predicted per metric for the chosen law; mean rho per candidate

and the proposal made from it (a SwarmLaw record of mixture.json). Outputs are the same bytes for the same inputs.
"""

from __future__ import annotations

import csv
import hashlib
import io as stdio
import json

import numpy as np

from schemas.config import LawParams, MixParams
from schemas.mixture import CVScore, MixtureDoc, MixtureSkill, Provenance, SwarmLaw
from tasks.common import io, plots
from tasks.common.errors import InputError
from tasks.mixing import propose, select, swarm
from tasks.mixing.laws import FAMILIES


def fit(X: np.ndarray, Y: np.ndarray, domains: list[str], metrics: list[str], own: list[int | None], family: str,
        folds: int, seed: int) -> tuple[dict, bytes, bytes]:  # fmt: skip
    """(law.json content, cv.csv bytes, fit.png bytes) of `family` (or auto) fitted to a swarm."""
    try:
        law, report = select.fit(family, X, Y, own, k=min(folds, len(X)), seed=seed)
    except ValueError as e:
        raise InputError(str(e)) from e
    doc = {"family": family, "domains": domains, "metrics": metrics, "own": own, "runs": len(X), "folds": folds,
           "seed": seed, "chosen": dict(zip(metrics, report["chosen"], strict=True)), "failed": report["failed"],
           "cv": {c: {n: s for n, s in zip(metrics, v, strict=True)} for c, v in report["table"].items()},
           "seen": {"min": X.min(axis=0).tolist(), "max": X.max(axis=0).tolist(), "mean": X.mean(axis=0).tolist()},
           "law": law.state()}  # fmt: skip
    oof = {c: P for c, P in report["oof"].items() if c in FAMILIES}
    return doc, cv_csv(report["table"], metrics), figure(Y, oof, report, metrics)


def cv_csv(table: dict, metrics: list[str]) -> bytes:
    out = stdio.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["candidate", "metric", "spearman", "mae"])
    for c, scores in table.items():
        for name, s in zip(metrics, scores, strict=True):
            w.writerow([c, name, f"{s['spearman']:.6f}", f"{s['mae']:.6f}"])
        w.writerow([c, "mean", f"{np.mean([s['spearman'] for s in scores]):.6f}",
                    f"{np.mean([s['mae'] for s in scores]):.6f}"])  # fmt: skip
    return out.getvalue().encode()


def figure(Y: np.ndarray, oof: dict[str, np.ndarray], report: dict, metrics: list[str]) -> bytes:
    """PNG: per metric (up to 15), measured against out-of-fold predicted by the family chosen for it (the stack's
    metrics show its best single family); and each candidate's mean cross-validated rho."""
    plt = plots.pyplot()
    shown = metrics[:15]
    cols = 4
    rows = -(-(len(shown) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    table = report["table"]
    for i, name in enumerate(shown):
        c = report["chosen"][i]
        fam = c if c in oof else max(oof, key=lambda f: table[f][i]["spearman"]) if oof else None
        ax = axes.ravel()[i]
        if fam is None:
            continue
        ax.axis("on")
        ax.scatter(Y[:, i], oof[fam][:, i], s=5)
        lo, hi = float(min(Y[:, i].min(), oof[fam][:, i].min())), float(max(Y[:, i].max(), oof[fam][:, i].max()))
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.5)
        ax.set_title(f"{name[-34:]}\n{c}: rho {table[c][i]['spearman']:.3f}", fontsize=7)
        ax.tick_params(labelsize=6)
    ax = axes.ravel()[len(shown)]
    ax.axis("on")
    names = list(table)
    ax.barh(range(len(names)), [np.mean([s["spearman"] for s in table[c]]) for c in names], color="tab:gray")
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("mean k-fold Spearman rho", fontsize=7)
    ax.set_xlim(left=min(0.0, *(np.mean([s["spearman"] for s in table[c]]) for c in names)))
    fig.supxlabel("measured", fontsize=8)
    fig.supylabel("predicted out of fold", fontsize=8)
    return plots.png(fig)


def write(out: str, doc: dict, cv: bytes, png: bytes) -> None:
    io.write_json(io.join(out, "law.json"), doc)
    io.write_bytes(io.join(out, "cv.csv"), cv)
    io.write_bytes(io.join(out, "fit.png"), png)


def read(law_dir: str) -> dict:
    uri = io.join(law_dir, "law.json")
    if not io.exists(uri):
        raise InputError(f"{law_dir}: no law.json here; run `skillmix law fit ... --out {law_dir}` first")
    return io.read_json(uri)


def objective_weights(metrics: list[str], objective: str, groups: dict[str, list[str]] | None = None) -> np.ndarray:
    """Weights over the metrics: `mean` (all, or the group of that name), another group's name, or one metric."""
    groups = {"mean": list(metrics)} | (groups or {})
    if objective in groups:
        chosen = groups[objective]
    elif objective in metrics:
        chosen = [objective]
    else:
        raise InputError(f"--objective {objective!r}: one of {', '.join(groups)} or a metric: {', '.join(metrics)}")
    if not chosen:
        raise InputError(f"--objective {objective!r}: no metrics in it")
    w = np.array([1.0 if m in chosen else 0.0 for m in metrics])
    return w / w.sum()


def proposal(doc: dict, objective: str, b: propose.Box, prior: np.ndarray, kl: float, seed: int, top_k: int,
             constraints: dict, groups: dict[str, list[str]] | None = None) -> tuple[np.ndarray, SwarmLaw]:  # fmt: skip
    """The law's best mixture for `objective` within the box, and its record for mixture.json: the family and its
    cross-validation scores, the constraints and which bind, the prediction for it and for stratified and natural."""
    law = select.restore(doc["law"])
    metrics, domains = doc["metrics"], doc["domains"]
    w = objective_weights(metrics, objective, groups)
    p = propose.propose(law, w, b, prior, kl, seed=seed, top_k=top_k)
    m = len(domains)
    f = propose.objective(law, w)
    predicted = {"proposal": p.objective, "stratified": float(f(np.full((1, m), 1.0 / m))[0]),
                 "natural": float(f(prior[None] / prior.sum())[0])}  # fmt: skip
    used = [i for i, v in enumerate(w) if v > 0]
    cv = {c: {metrics[i]: CVScore(**s[metrics[i]]) for i in used} for c, s in doc["cv"].items()}
    rec = SwarmLaw(family=doc["family"], chosen={metrics[i]: doc["chosen"][metrics[i]] for i in used},
                   cv=cv, cv_mean={c: CVScore(spearman=float(np.mean([v.spearman for v in s.values()])),
                                              mae=float(np.mean([v.mae for v in s.values()]))) for c, s in cv.items()},
                   folds=doc["folds"], runs=doc["runs"], objective=objective,
                   objective_metrics=[metrics[i] for i in used], how=p.how, constraints=constraints,
                   binding={k: [domains[j] for j in v] for k, v in p.binding.items() if v},
                   predicted=predicted)  # fmt: skip
    return p.weights, rec


def fit_files(ratios: str, metrics: str, out: str, family: str, folds: int, seed: int,
              sum_tol: float = 1e-3) -> dict:  # fmt: skip
    """`skillmix law fit`: both CSVs checked before any fitting, then law.json, cv.csv and fit.png in `out`."""
    r, m = swarm.read(ratios, "ratios", sum_tol), swarm.read(metrics, "metrics")
    _, X, Y = swarm.join(r, m)
    own = swarm.own_domains(r.columns, m.columns)
    doc, cv, png = fit(X, Y, r.columns, m.columns, own, family, folds, seed)
    doc["swarm"] = {"ratios": _sha(ratios), "metrics": _sha(metrics), "sum_tol": sum_tol, "id_column": r.id_column}
    write(out, doc, cv, png)
    return doc


def predict_files(law_dir: str, ratios: str, out: str, sum_tol: float = 1e-3) -> int:
    """`skillmix law predict`: the id column and one column per fitted metric; the number of runs predicted."""
    doc = read(law_dir)
    r = swarm.read(ratios, "ratios", sum_tol)
    if r.columns != doc["domains"]:
        raise InputError(f"{ratios}: line 1: its domains {r.columns[:3]}... are not the law's {doc['domains'][:3]}... "
                         "(the same columns in the same order)")  # fmt: skip
    P = select.restore(doc["law"]).predict(r.values)
    io.write_bytes(out, swarm.to_csv(r.id_column, r.ids, doc["metrics"], P))
    return len(r.ids)


def tokens_csv(path: str, domains: list[str]) -> np.ndarray:
    """A `domain,tokens` CSV: each domain's available tokens, in the law's domain order."""
    text = _text(path)
    rows = [row for row in csv.reader(stdio.StringIO(text)) if any(c.strip() for c in row)]
    if not rows or [c.strip() for c in rows[0][:2]] != ["domain", "tokens"]:
        raise InputError(f"{path}: line 1: the header must be `domain,tokens`")
    got: dict[str, float] = {}
    for n, row in enumerate(rows[1:], 2):
        try:
            v = float(row[1])
        except (IndexError, ValueError):
            raise InputError(f"{path}: line {n}, column tokens: not a number") from None
        if not np.isfinite(v) or v < 0:
            raise InputError(f"{path}: line {n}, column tokens: {row[1]} (a count >= 0)")
        got[row[0].strip()] = v
    missing = [d for d in domains if d not in got]
    if missing:
        raise InputError(f"{path}: no row for domain {missing[0]!r} ({len(missing)} of the law's domains missing)")
    return np.array([got[d] for d in domains])


def bounds_csv(path: str, domains: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A `domain,lower,upper` CSV (domains not named are free: 0 and 1)."""
    lo, hi = np.zeros(len(domains)), np.ones(len(domains))
    rows = [row for row in csv.reader(stdio.StringIO(_text(path))) if any(c.strip() for c in row)]
    if not rows or [c.strip() for c in rows[0][:3]] != ["domain", "lower", "upper"]:
        raise InputError(f"{path}: line 1: the header must be `domain,lower,upper`")
    for n, row in enumerate(rows[1:], 2):
        if row[0].strip() not in domains:
            raise InputError(f"{path}: line {n}, column domain: {row[0]!r} is not one of the law's domains")
        try:
            a, b = float(row[1]), float(row[2])
        except (IndexError, ValueError):
            raise InputError(f"{path}: line {n}: lower and upper must be numbers") from None
        if not 0 <= a <= b <= 1:
            raise InputError(f"{path}: line {n}: need 0 <= lower <= upper <= 1; got {a}, {b}")
        j = domains.index(row[0].strip())
        lo[j], hi[j] = a, b
    return lo, hi


def prior_of(spec: str, domains: list[str], tokens: np.ndarray | None) -> np.ndarray:
    """`natural` (the token shares of --tokens) or a mixture.json whose skill labels are the law's domains."""
    if spec == "natural":
        if tokens is None:
            raise InputError("--prior natural needs --tokens (the natural mixture is each domain's token share)")
        return tokens / tokens.sum()
    doc = io.read_json(spec) if io.exists(spec) else None
    if doc is None:
        raise InputError(f"--prior {spec}: no such file; give natural or a mixture.json")
    labels = {s["label"]: s["weight"] for s in doc.get("skills", [])}
    if set(labels) != set(domains):
        raise InputError(f"--prior {spec}: its skills' labels are not the law's domains")
    q = np.array([labels[d] for d in domains], np.float64)
    return q / q.sum()


def propose_files(law_dir: str, out: str, objective: str = "mean", tokens: str | None = None,
                  budget: float | None = None, max_repeat: float = 4.0, prior: str | None = None, kl: float = 0.0,
                  bounds: str | None = None, seed: int = 0, top_k: int = 128,
                  trust: bool = True) -> MixtureDoc:  # fmt: skip
    """`skillmix law propose`: the law's best mixture under the constraints, as mixture.json."""
    doc = read(law_dir)
    domains = doc["domains"]
    t = tokens_csv(tokens, domains) if tokens else None
    if (t is None) != (budget is None):
        raise InputError("--tokens and --budget go together: the caps are tokens x --max-repeat / --budget")
    if kl > 0 and prior is None:
        raise InputError("--kl needs --prior (natural or a mixture.json)")
    q = prior_of(prior, domains, t) if prior else None
    cap = propose.caps(t, budget, max_repeat) if t is not None else None
    lo, hi = bounds_csv(bounds, domains) if bounds else (np.zeros(len(domains)), np.ones(len(domains)))
    if trust:  # the law is fitted on the swarm's shares: it is not trusted beyond the largest it saw
        hi = np.minimum(hi, np.asarray(doc["seen"]["max"]))
    try:
        b = propose.box(len(domains), cap, lo, hi)
    except ValueError as e:
        raise InputError(str(e)) from e
    constraints = {"budget": budget, "max_repeat": max_repeat if t is not None else None, "kl": kl,
                   "prior": prior, "caps": None if cap is None else cap.tolist(), "trust_region": trust,
                   "lower": lo.tolist(), "upper": hi.tolist()}  # fmt: skip
    natural = q if q is not None else (t / t.sum() if t is not None else np.asarray(doc["seen"]["mean"]))
    w, rec = proposal(doc, objective, b, natural, kl if q is not None else 0.0, seed, top_k, constraints)
    sources = {"law.json": _sha(io.join(law_dir, "law.json"))} | {k: v for k, v in doc.get("swarm", {}).items()
                                                                  if k in ("ratios", "metrics")}  # fmt: skip
    params = MixParams(method="law", law=LawParams(family=doc["family"], objective=objective, folds=doc["folds"],
                       seed=seed, max_repeat=max_repeat, kl=kl, top_k=top_k))  # fmt: skip
    fp = params.fingerprint(*sources.values(), json.dumps(constraints, sort_keys=True))
    skills = [MixtureSkill(skill=j, label=d, weight=float(w[j]), tokens=None if t is None else int(t[j]))
              for j, d in enumerate(domains)]  # fmt: skip
    mixture = MixtureDoc(method="law", params=params, fingerprint=fp, skills=skills, weights=[float(v) for v in w],
                         provenance=Provenance(swarm=sources), swarm=rec)  # fmt: skip
    io.write_json(out, mixture.model_dump(mode="json"))
    return mixture


def _text(path: str) -> str:
    try:
        return io.read_bytes(path).decode()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None


def _sha(path: str) -> str:
    return hashlib.sha256(io.read_bytes(path)).hexdigest()
