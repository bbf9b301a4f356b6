"""The proxies stage over files: a design (named mixtures x seeds) on a manifest's shards -> cached runs -> a
comparison. No Prefect.

Layout (from the run catalog):
  proxies/runs/<key>/    one run: model.pt (final weights), metrics.parquet, training.png, _SUCCESS (ProxyRun)
  <out>/comparison.json  the design's runs compared by average per-skill validation loss, + proxies.png, _SUCCESS
A run's key is what it reads (tasks.proxies.design): a committed run is read back, never trained again, by any
design, command or manifest whose shards it read. BiMix and the skills graph use the runs; `skillmix proxies`
also commits the comparison.
"""

from __future__ import annotations

import numpy as np

from schemas.config import MixingParams, TrainParams
from schemas.manifest import Manifest
from schemas.outputs import ProxiesComparison, ProxiesMarker, ProxyRun, SkillsGraphSummary
from schemas.refs import ManifestRef, ProxiesPlan, ProxySpec
from tasks.common import catalog, io
from tasks.common.errors import InputError
from tasks.proxies import compare, design, graph
from tasks.train import session


def manifest_of(ref: ManifestRef) -> Manifest:
    return Manifest.model_validate(io.read_json(ref.manifest))


def plan(run: str, manifest: ManifestRef, specs: list[ProxySpec], baseline: str | None = None) -> ProxiesPlan:
    """Each run's key and directory, and the design's fingerprint; `done` when its comparison is committed."""
    m = manifest_of(manifest)
    try:
        keys = design.keys(specs, design.data_key(m, session.read_format(m, manifest.manifest)))
    except ValueError as e:
        raise InputError(str(e)) from e
    fp = design.fingerprint(specs, keys, baseline)
    p = ProxiesPlan(**catalog.places(run, "proxies", fp), manifest=manifest, specs=tuple(specs), runs=tuple(keys),
                    dirs=tuple(catalog.proxy_run(run, k) for k in keys), baseline=baseline)  # fmt: skip
    return p.model_copy(update={"done": io.committed(p.out) is not None})


def mixture_design(manifest: ManifestRef, mixtures: list[str], seeds: list[int], base: TrainParams,
                   baseline: str | None) -> tuple[list[ProxySpec], str | None]:  # fmt: skip
    """The design `skillmix proxies` compares: each mixture spec (tasks.proxies.design.mixing; a mixture.json is
    read here) trained once per seed, named as reports show it; and the baseline's name when it is one of them."""
    m = manifest_of(manifest)
    mixings: dict[str, MixingParams] = {}
    for spec in dict.fromkeys(mixtures):
        doc = _mixture_file(spec)
        try:
            mixings[design.label(spec, doc)] = design.mixing(spec, m, base.mixing, doc["weights"] if doc else None)
        except ValueError as e:
            raise InputError(str(e)) from e
    return design.grid(mixings, seeds, base), label(baseline) if baseline in mixtures else None


def _mixture_file(spec: str) -> dict | None:
    if not spec.endswith(".json"):
        return None
    if not io.exists(spec):
        raise InputError(f"mixture {spec}: no such file")
    return io.read_json(spec)


def label(spec: str) -> str:
    """How reports name a mixture spec (a mixture.json by its method and fingerprint)."""
    return design.label(spec, _mixture_file(spec) if spec.endswith(".json") and io.exists(spec) else None)


def train_run(p: ProxiesPlan, i: int, device: str = "cpu") -> ProxyRun:
    """Run i of the design, trained into its directory unless committed there; the final weights stay as model.pt
    (DsDm and continued runs read them), the optimizer checkpoint is removed."""
    out = p.dirs[i]
    if (done := catalog.load(out, ProxyRun)) is not None:
        return done
    spec = p.specs[i]
    start = [s.name for s in p.specs].index(spec.init) if spec.init is not None else None  # the run it starts from
    init = None if start is None else io.join(p.dirs[start], "model.pt")
    if init is not None and not io.exists(init):
        raise InputError(f"proxy run {spec.name!r} starts from {spec.init!r}, which is not committed; train it first")
    summary = session.train(p.manifest.manifest, out, spec.params, device, init=init)
    session.save(io.join(out, "model.pt"), session.load(io.join(out, "checkpoint.pt"))["trainer"]["model"])
    io.remove(io.join(out, "checkpoint.pt"))
    metrics = io.join(out, "metrics.parquet")
    run = ProxyRun(**summary.model_dump(), fingerprint=p.runs[i], uri=out, metrics=metrics,
                   curves=session.curves(metrics), init=None if start is None else p.runs[start])  # fmt: skip
    io.commit(out, run.model_dump(mode="json"))
    return run


def comparison(p: ProxiesPlan, runs: list[ProxyRun]) -> ProxiesComparison:
    """The design's runs compared (mean over seeds of the average per-skill final loss, paired against the
    baseline), written with its figure and committed."""
    if io.committed(p.out) is not None:
        return committed(p)
    labels = [k.label for k in manifest_of(p.manifest).skills]
    finals = [(s.name, s.seed, np.array([r.final_val_loss[str(j)] for j in range(len(labels))]))
              for s, r in zip(p.specs, runs, strict=True)]  # fmt: skip
    rows = compare.table(finals, p.baseline)
    c = ProxiesComparison(
        fingerprint=p.fingerprint, manifest=p.manifest.manifest, steps=max(s.params.steps for s in p.specs),
        baseline=p.baseline, mixtures=[r | {"per_seed": {str(k): v for k, v in r["per_seed"].items()}} for r in rows],
        runs=[{"mixture": s.name, "seed": s.seed, "fingerprint": r.fingerprint, "uri": r.uri,
               "final_val_loss": r.final_val_loss, "final_weights": r.final_weights}
              for s, r in zip(p.specs, runs, strict=True)])  # fmt: skip
    io.write_json(catalog.comparison(p.run, p.fingerprint), c.model_dump(mode="json"))
    io.write_bytes(io.join(p.out, "proxies.png"), compare.figure(finals, rows, labels, p.baseline))
    io.commit(p.out, ProxiesMarker(fingerprint=p.fingerprint, inputs={"emit": p.manifest.fingerprint},
                                   runs=list(p.runs)).model_dump())  # fmt: skip
    return c


def committed(p: ProxiesPlan) -> ProxiesComparison:
    return ProxiesComparison.model_validate(io.read_json(catalog.comparison(p.run, p.fingerprint)))


def write_report(p: ProxiesPlan) -> None:
    """The committed comparison and its figure, into the run's report directory."""
    io.write_bytes(io.join(p.report, "summary.json"), io.read_bytes(catalog.comparison(p.run, p.fingerprint)))
    io.write_bytes(io.join(p.report, "proxies.png"), io.read_bytes(io.join(p.out, "proxies.png")))


def graph_specs(manifest: ManifestRef, params: TrainParams, base_steps: int) -> list[ProxySpec]:
    """The skills graph's design (tasks.proxies.graph.specs) on a manifest."""
    return graph.specs(manifest_of(manifest), params, base_steps)


def skills_graph(p: ProxiesPlan, runs: list[ProxyRun], out: str) -> SkillsGraphSummary:
    """Write graph.npy, its heatmap and summary.json into `out` from the graph design's runs."""
    m = manifest_of(p.manifest)
    k = len(m.skills)
    has_base = p.specs[0].name == "base"
    after = np.array([[r.final_val_loss[str(j)] for j in range(k)] for r in runs[-k:]])
    base = (np.array([runs[0].final_val_loss[str(j)] for j in range(k)]) if has_base
            else np.array(runs[-k].curves.losses[0]))  # fmt: skip  # no base: every skill run starts untrained
    a = graph.relative_drop(base, after)
    io.write_bytes(io.join(out, "graph.npy"), _npy(a))
    io.write_bytes(io.join(out, "graph.png"), graph.figure(a, [f"{s.skill}: {s.label}"[:28] for s in m.skills]))
    summary = SkillsGraphSummary(manifest=p.manifest.manifest, base_steps=p.specs[0].params.steps if has_base else 0,
                                 steps_per_skill=p.specs[-1].params.steps, base_val_loss=base.tolist(),
                                 graph=a.tolist(), density=graph.density(a), proxies=list(p.runs))  # fmt: skip
    io.write_json(io.join(out, "summary.json"), summary.model_dump(mode="json"))
    return summary


def _npy(a: np.ndarray) -> bytes:
    import io as _io

    buf = _io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()
