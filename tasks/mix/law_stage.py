"""The mix stage's law method over files: a swarm of proxy runs (the proxies stage, cached) on mixtures drawn around
the natural mixture -> every skill's validation loss and each target's loss per run -> a law fitted (auto: the
family or stack that cross-validates best) -> the mixture it predicts best under the budget's repetition caps and
the optional KL penalty, written as mix/<fp>/mixture.json like every mixture, with the swarm beside it:

    mix/<fp>/swarm/ratios.csv, metrics.csv   the swarm in RegMix's and Olmix's format (`skillmix law fit` reads it)
    mix/<fp>/swarm/law.json, cv.csv          the fitted law and its cross-validation table
    RUN/report/mix/law.png                   measured vs out-of-fold predicted per metric

Rounds: the first trains `runs` mixtures from RegMix's sampler; each later round half as many, drawn from the region
the law fitted so far predicts best (CLIMB). No Prefect: the flow trains each round's proxies.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from schemas.config import LawParams, MixingParams, MixParams
from schemas.manifest import Manifest
from schemas.mixture import MixtureDoc
from schemas.outputs import ProxyRun
from schemas.refs import ManifestRef, MixPlan, ProxySpec, TokensRef
from tasks.attribution import dsdm
from tasks.attribution.targets import encode_targets, read_targets
from tasks.common import io
from tasks.common.errors import InputError
from tasks.mix import stage
from tasks.mixing import lawfile, propose, sample, select, swarm
from tasks.train import loop, session


def manifest_of(tokens: TokensRef, manifest: ManifestRef) -> Manifest:
    m = Manifest.model_validate(io.read_json(manifest.manifest))
    if [x.skill for x in m.skills] != list(range(tokens.skills.k)):
        raise InputError(f"{manifest.manifest}: the law's proxies need every skill in the manifest; emit one with a "
                         "training-free mixture first (`skillmix mix --run RUN`, then `skillmix emit`)")  # fmt: skip
    return m


def setting(m: Manifest, lp: LawParams) -> tuple[np.ndarray, np.ndarray, int]:
    """(natural mixture, repetition caps, budget): each skill's share capped by its tokens x max_repeat / budget."""
    tokens = np.array([s.tokens_available for s in m.skills], np.float64)
    budget = lp.budget or int(tokens.sum())
    return tokens / tokens.sum(), propose.caps(tokens, budget, lp.max_repeat), budget


def specs(X: np.ndarray, round_no: int, lp: LawParams) -> list[ProxySpec]:
    """One proxy run per mixture of a round, named r<round>-<i>."""
    return [ProxySpec(name=f"r{round_no}-{i:03d}", seed=lp.proxy.seed, params=lp.proxy.model_copy(
                update={"mixing": MixingParams(weights=tuple(float(v) for v in x))}))
            for i, x in enumerate(X)]  # fmt: skip


def first_round(tokens: TokensRef, manifest: ManifestRef, params: MixParams) -> list[ProxySpec]:
    lp = params.law
    prior, cap, _ = setting(manifest_of(tokens, manifest), lp)
    try:
        return specs(sample.swarm(prior, cap, lp.runs, lp.seed, min_share=lp.min_share), 1, lp)
    except ValueError as e:
        raise InputError(f"--runs {lp.runs}: {e}") from e


def targets(tokens: TokensRef, files: list[str], lp: LawParams) -> tuple[dict[str, dsdm.Rows], str]:
    """(each target's rows under the run's tokenizer, a digest of the targets' texts for the mixture's fingerprint)."""
    texts = read_targets(files) if files else {}
    digest = hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()
    return (encode_targets(tokens, texts, lp.proxy.seq_len) if texts else {}), f"targets:{digest}"


def target_loss(run: ProxyRun, rows: dsdm.Rows, vocab_size: int, params) -> float:
    model = loop.build_model(vocab_size, params)
    model.load_state_dict(session.load(io.join(run.uri, "model.pt")))
    return dsdm.target_loss(model.eval(), rows)


def table(tokens: TokensRef, sp: list[ProxySpec], runs: list[ProxyRun], rows: dict[str, dsdm.Rows]):
    """(X, Y, metric names, own domains, groups): per run its weights, every skill's final validation loss and each
    target's loss; groups name the metric sets --objective accepts (mean: the skills', target: the targets')."""
    k = tokens.skills.k
    X = np.array([np.asarray(s.params.mixing.weights) / np.sum(s.params.mixing.weights) for s in sp])
    skills = [[r.final_val_loss[str(j)] for j in range(k)] for r in runs]
    tgt = [[target_loss(r, rows[n], tokens.vocab_size, s.params) for n in rows] for s, r in zip(sp, runs, strict=True)]
    names = [f"skill_{j:02d}_val_loss" for j in range(k)] + [f"target_{n}_loss" for n in rows]
    Y = np.hstack([np.array(skills), np.array(tgt).reshape(len(runs), len(rows))])
    groups = {"mean": names[:k], "target": names[k:]}
    return X, Y, names, [*range(k), *([None] * len(rows))], groups


def domains(k: int) -> list[str]:
    return [f"skill_{j:02d}" for j in range(k)]


def next_round(tokens: TokensRef, manifest: ManifestRef, params: MixParams, sp: list[ProxySpec],
               runs: list[ProxyRun], rows: dict, round_no: int) -> list[ProxySpec]:  # fmt: skip
    """Round `round_no`'s specs: half the previous round's runs, from the law's predicted best region."""
    lp = params.law
    X, Y, names, own, groups = table(tokens, sp, runs, rows)
    try:  # the law alone: the table and figure are written once, by `fit`
        law, _ = select.fit(lp.family, X, Y, own, k=min(lp.folds, len(X)), seed=lp.seed)
    except ValueError as e:
        raise InputError(str(e)) from e
    w = lawfile.objective_weights(names, lp.objective, groups)
    prior, cap, _ = setting(manifest_of(tokens, manifest), lp)
    n = max(2, lp.runs // 2 ** (round_no - 1))
    Z = sample.near_best(lambda Z: law.predict(Z) @ w, prior, cap, n, lp.seed + round_no, exclude=X,
                         min_share=lp.min_share)  # fmt: skip
    return specs(Z, round_no, lp)


def fit(p: MixPlan, params: MixParams, sp: list[ProxySpec], runs: list[ProxyRun], rows: dict) -> MixtureDoc:
    """Fit the law to every round's runs and propose; write the swarm, the law and mixture.json, and commit."""
    lp = params.law
    x = stage.inputs(p.tokens)
    X, Y, names, own, groups = table(p.tokens, sp, runs, rows)
    doc, cv, png = lawfile.fit(X, Y, domains(X.shape[1]), names, own, lp.family, lp.folds, lp.seed)
    prior, cap, budget = setting(manifest_of(p.tokens, p.manifest), lp)
    upper = np.asarray(doc["seen"]["max"])  # the law is not fitted beyond the largest share the swarm tried
    b = propose.box(len(prior), cap, upper=upper)
    constraints = {"budget": budget, "max_repeat": lp.max_repeat, "caps": cap.tolist(), "kl": lp.kl,
                   "prior": "natural", "trust_region": True, "upper": b.upper.tolist()}  # fmt: skip
    w, rec = lawfile.proposal(doc, lp.objective, b, prior, lp.kl, lp.seed, lp.top_k, constraints, groups)
    ids = [s.name for s in sp]
    rounds = sorted({s.name.split("-")[0] for s in sp})
    rec = rec.model_copy(update={"rounds": [{"round": r, "runs": sum(s.name.startswith(r + "-") for s in sp)}
                                            for r in rounds]})  # fmt: skip
    out = io.join(p.out, "swarm")
    io.write_bytes(io.join(out, "ratios.csv"), swarm.to_csv("run", ids, domains(X.shape[1]), X))
    io.write_bytes(io.join(out, "metrics.csv"), swarm.to_csv("run", ids, names, Y))
    lawfile.write(out, doc, cv, png)
    io.write_bytes(io.join(p.report, "law.png"), png)
    extra: dict[int, dict] = {i: {} for i in range(len(w))}
    scored = stage.scored_documents(p) if params.selects else None
    mixture = stage.finish(p, params, x, w, extra, scored)
    provenance = mixture.provenance.model_copy(update={"manifest": p.manifest.manifest})
    return stage.write(p, mixture.model_copy(update={"swarm": rec, "provenance": provenance}))
