"""Proxies on copies of the tiny run: a design's runs cached by what they read (a manifest that differs only in its
weights reuses them), the comparison committed, the skills graph from the same runs, and the `proxies` command."""

import json
from pathlib import Path

import numpy as np
import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.emit import emit
from flows.mix import mix
from flows.proxies import proxies, skills_graph
from schemas.config import EmitParams, MixParams, TrainParams
from schemas.refs import ProxyRunRef
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.proxies import design
from tasks.proxies import stage as proxies_stage
from tests.flows.pipeline import PARAMS, own_copy

pytestmark = pytest.mark.usefixtures("prefect_harness")
TRAIN = TrainParams(steps=12, batch_size=4, seq_len=16, eval_every=4, eval_windows=2)
THREADS = ThreadPoolTaskRunner(max_workers=2)


def _design(manifest, mixtures=("stratified",), seeds=(0, 1)):
    return proxies_stage.mixture_design(manifest, list(mixtures), list(seeds), TRAIN, "stratified")


def test_runs_are_trained_once_committed_compared_and_read_back(built, tmp_path):
    run = own_copy(built, tmp_path)
    manifest = catalog.latest(str(run), "emit")
    specs, baseline = _design(manifest)
    flow = proxies.with_options(task_runner=THREADS)
    ref = flow(str(run), manifest, specs, baseline)
    c = catalog.summary(ref)
    assert [r.mixture for r in c.mixtures] == ["stratified"] and c.mixtures[0].seeds == [0, 1]
    assert len({r.fingerprint for r in c.runs}) == 2 and catalog.latest(str(run), "proxies") == ref
    first = catalog.proxy(ref.runs[0])
    uri = Path(first.uri)
    assert (uri / "model.pt").exists() and not (uri / "checkpoint.pt").exists()
    assert first.curves.steps == [0, 4, 8, 12] and np.array(first.curves.losses).shape == (4, 3)
    assert first.curves.losses[-1] == pytest.approx([first.final_val_loss[str(j)] for j in range(3)])
    assert c.mixtures[0].mean == pytest.approx(np.mean([catalog.proxy(r).mean_final_val_loss for r in ref.runs]))
    assert (run / "report" / "proxies" / "proxies.png").read_bytes()[:4] == b"\x89PNG"
    (uri / "training.png").unlink()  # a committed run is not retrained: nothing writes it again
    assert flow(str(run), manifest, specs[:1], baseline).runs == ref.runs[:1] and not (uri / "training.png").exists()


def test_a_manifest_that_differs_only_in_its_weights_reuses_the_runs(built, tmp_path):
    run = own_copy(built, tmp_path)
    natural = catalog.latest(str(run), "emit")
    params = PARAMS.emit
    stratified = emit.with_options(task_runner=THREADS)(
        str(run), mix(str(run), natural.mixture.tokens, MixParams(method="stratified")), params
    )
    assert stratified.fingerprint != natural.fingerprint
    assert Path(stratified.manifest).read_bytes() != Path(natural.manifest).read_bytes()
    a = proxies_stage.plan(str(run), natural, _design(natural)[0])
    b = proxies_stage.plan(str(run), stratified, _design(stratified)[0])
    assert a.runs == b.runs  # the same shards, the same explicit weights: the same runs
    own = proxies_stage.plan(str(run), natural, _design(natural, ["manifest"])[0])
    other = proxies_stage.plan(str(run), stratified, _design(stratified, ["manifest"])[0])
    assert own.runs != other.runs  # trained on each manifest's own weights: different runs
    again = emit.with_options(task_runner=THREADS)
    shorter = again(str(run), natural.mixture, EmitParams(seq_len=16, shard_tokens=1024))  # other MDS samples only
    assert proxies_stage.plan(str(run), shorter, _design(shorter)[0]).runs == a.runs  # the flat shards read: same
    resharded = again(str(run), natural.mixture, EmitParams(seq_len=32, shard_tokens=2048))
    assert proxies_stage.plan(str(run), resharded, _design(resharded)[0]).runs != a.runs  # other shard files


def test_mixture_specs_name_what_is_wrong(built):
    manifest = built[1].manifest
    m = proxies_stage.manifest_of(manifest)
    k = len(m.skills)
    base = TRAIN.mixing
    assert design.mixing("natural", m, base).weights == tuple(float(s.tokens_available) for s in m.skills)
    assert design.mixing("manifest", m, base).weights == tuple(s.weight for s in m.skills)
    assert design.mixing("aioli", m, base).method == "aioli" and design.mixing("aioli", m, base).weights is None
    assert design.mixing(",".join(["1"] * k), m, base).weights == (1.0,) * k
    with pytest.raises(ValueError, match=f"has 2 weights; the manifest has {k} skills"):
        design.mixing("0.5,0.5", m, base)
    with pytest.raises(ValueError, match="one of manifest, stratified, natural, skillit, aioli"):
        design.mixing("uniform", m, base)
    with pytest.raises(InputError, match="mixture nowhere.json: no such file"):
        _design(manifest, ["nowhere.json"])


def test_a_mixture_file_is_named_by_its_method_and_fingerprint(built, tmp_path):
    mixture = built[1].manifest.mixture
    assert proxies_stage.label(mixture.mixture_json) == f"{mixture.method} {mixture.fingerprint}"
    bare = tmp_path / "mine.json"
    bare.write_text(json.dumps({"weights": [1.0, 1.0, 1.0]}))
    assert proxies_stage.label(str(bare)) == str(bare) and proxies_stage.label("natural") == "natural"
    specs, baseline = _design(built[1].manifest, [mixture.mixture_json, "stratified"], [0])
    assert [s.name for s in specs] == [f"{mixture.method} {mixture.fingerprint}", "stratified"]
    assert baseline == "stratified"


def test_skills_graph_from_a_base_run_and_one_run_per_skill(built, tmp_path):
    run = own_copy(built, tmp_path)
    manifest = catalog.latest(str(run), "emit")
    out = tmp_path / "graph"
    params = TRAIN.model_copy(update={"steps": 4, "eval_every": 4})
    s = skills_graph.with_options(task_runner=THREADS)(str(run), manifest, str(out), params, base_steps=4)
    a = np.load(out / "graph.npy")
    k = len(s.graph)
    assert (
        a.shape == (k, k) == (3, 3) and np.allclose(a, s.graph) and (out / "graph.png").read_bytes()[:4] == b"\x89PNG"
    )
    assert all(a[i, i] > 0 for i in range(k))  # training on a skill lowers its own loss
    base = catalog.proxy(ProxyRunRef(fingerprint=s.proxies[0], uri=catalog.proxy_run(str(run), s.proxies[0])))
    assert s.base_val_loss == [base.final_val_loss[str(j)] for j in range(k)]
    skill_runs = [catalog.proxy(ProxyRunRef(fingerprint=p, uri=catalog.proxy_run(str(run), p)))
                  for p in s.proxies[1:]]  # fmt: skip
    assert all(r.init == s.proxies[0] for r in skill_runs)  # each starts from the base run's weights
    again = skills_graph.with_options(task_runner=THREADS)(str(run), manifest, str(out), params, base_steps=4)
    assert again == s  # every run read back from its cache


def test_proxies_command_compares_mixtures_on_dask(built, tmp_path):
    from typer.testing import CliRunner

    from skillmix.cli import app

    run = own_copy(built, tmp_path)
    args = ["proxies", "--run", str(run), "--mixture", "stratified", "--mixture", "natural", "--steps", "4",
            "--eval-every", "2", "--seq-len", "16", "--workers", "1"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "average per-skill validation loss after 4 steps" in text and "vs stratified" in text
    report = json.loads((run / "report" / "proxies" / "summary.json").read_text())
    assert [r["mixture"] for r in report["mixtures"]] == ["stratified", "natural"]
    assert report["mixtures"][1]["paired_seeds"] == 1 and len(report["runs"]) == 2
