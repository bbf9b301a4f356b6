"""Training on the tiny run's manifest: every mixing policy, exact resume, cached proxy runs, the skills graph."""

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from prefect.task_runners import ThreadPoolTaskRunner

from flows.train import proxies
from schemas.config import AioliParams, MixingParams, TrainParams
from tasks.common.errors import InputError
from tasks.train import graph
from tasks.train import stage as train_stage
from tests.flows.pipeline import manifest_of

pytestmark = pytest.mark.usefixtures("prefect_harness")
TRAIN = TrainParams(steps=12, batch_size=4, seq_len=16, eval_every=4, eval_windows=2)


def with_mixing(method, **kw):
    return TRAIN.model_copy(update={"mixing": MixingParams(method=method, **kw)})


@pytest.mark.parametrize("method", ["static", "aioli"])
def test_a_crashed_run_resumes_to_the_uninterrupted_result(built, tmp_path, method):
    path, m = manifest_of(built)
    params = with_mixing(method, update_every=8, aioli=AioliParams(lp_steps=1))  # 3 probe steps per round
    whole = train_stage.train(path, str(tmp_path / "whole"), params)
    assert train_stage.train(path, str(tmp_path / "crashed"), params, stop_at=4) == {"stopped_at": 4}
    resumed = train_stage.train(path, str(tmp_path / "crashed"), params)
    assert resumed["final_val_loss"] == whole["final_val_loss"] and resumed["final_weights"] == whole["final_weights"]
    a = pq.read_table(tmp_path / "whole" / "metrics.parquet")
    assert a.equals(pq.read_table(tmp_path / "crashed" / "metrics.parquet"))
    assert a.column_names == ["step", "skill", "val_loss", "val_accuracy", "weight"]
    assert sorted(set(a["step"].to_pylist())) == [0, 4, 8, 12] and a.num_rows == 4 * len(m["skills"])
    assert (tmp_path / "whole" / "training.png").read_bytes()[:4] == b"\x89PNG"
    w = np.array(whole["final_weights"])
    assert w.sum() == pytest.approx(1.0)
    if method == "aioli":  # EMA Aioli stays within e^eta of uniform, but moves by what its probes measured
        assert w.max() / w.min() <= np.exp(0.2) + 1e-9 and w.max() - w.min() > 1e-4
    else:
        assert w == pytest.approx([k["weight"] for k in m["skills"]])


def test_another_configuration_does_not_resume_a_checkpoint(built, tmp_path):
    path, _ = manifest_of(built)
    train_stage.train(path, str(tmp_path), TRAIN, stop_at=4)
    with pytest.raises(InputError, match="checkpoint.pt was written by another configuration"):
        train_stage.train(path, str(tmp_path), TRAIN.model_copy(update={"lr": 0.01}))


def test_skillit_mixing_moves_the_weights_and_a_wrong_graph_is_named(built, tmp_path):
    path, m = manifest_of(built)
    s = train_stage.train(path, str(tmp_path / "skillit"), with_mixing("skillit", update_every=4))
    assert sum(s["final_weights"]) == pytest.approx(1.0)
    assert s["final_weights"] != pytest.approx([k["weight"] for k in m["skills"]], abs=1e-3)
    bad = with_mixing("skillit", skillit={"graph": ((1.0, 0.0), (0.0, 1.0))})
    with pytest.raises(InputError, match=f"the skills graph is 2 x 2; the data has {len(m['skills'])} skills"):
        train_stage.train(path, str(tmp_path / "bad"), bad)


def test_proxy_runs_are_cached_by_params_and_manifest(built, tmp_path):
    path, m = manifest_of(built)
    k = len(m["skills"])
    run = str(tmp_path / "run")
    strat = train_stage.mixing_for("stratified", path, TRAIN.mixing)
    assert strat.weights == pytest.approx([1 / k] * k)
    assert train_stage.mixing_for("stratified", path, MixingParams(aioli=AioliParams(eta=1.0))) == strat
    runs = [TRAIN.model_copy(update={"mixing": strat}), TRAIN.model_copy(update={"mixing": strat, "seed": 1})]
    flow = proxies.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    first = flow(path, run, runs)
    assert first[0]["fingerprint"] != first[1]["fingerprint"]
    uri = Path(first[0]["uri"])
    assert (uri / "model.pt").exists() and not (uri / "checkpoint.pt").exists()
    assert json.loads((uri / "_SUCCESS").read_text())["mean_final_val_loss"] == first[0]["mean_final_val_loss"]
    (uri / "training.png").unlink()  # a cached run is not retrained: nothing writes it again
    assert flow(path, run, runs[:1]) == first[:1] and not (uri / "training.png").exists()
    steps, losses = train_stage.curves(first[0])
    assert steps.tolist() == [0, 4, 8, 12] and losses.shape == (4, k) and not np.isnan(losses).any()
    assert losses[-1] == pytest.approx([first[0]["final_val_loss"][str(j)] for j in range(k)])
    report = train_stage.comparison(run, [("stratified", 0, first[0]), ("stratified", 1, first[1])],
                                    [s["label"] for s in m["skills"]], "stratified")  # fmt: skip
    row = report["mixtures"][0]
    assert row["seeds"] == [0, 1] and row["mean"] == pytest.approx(np.mean([r["mean_final_val_loss"] for r in first]))
    assert (Path(run) / "report" / "proxies" / "proxies.png").read_bytes()[:4] == b"\x89PNG"


def test_mixture_specs_name_what_is_wrong(built):
    path, m = manifest_of(built)
    k = len(m["skills"])
    natural = train_stage.mixing_for("natural", path, TRAIN.mixing).weights
    assert natural == tuple(float(s["tokens_available"]) for s in m["skills"])
    assert train_stage.mixing_for("aioli", path, TRAIN.mixing).method == "aioli"
    assert train_stage.mixing_for(",".join(["1"] * k), path, TRAIN.mixing).weights == (1.0,) * k
    with pytest.raises(InputError, match=f"has 2 weights; the manifest has {k} skills"):
        train_stage.mixing_for("0.5,0.5", path, TRAIN.mixing)
    with pytest.raises(InputError, match="one of manifest, stratified, natural, skillit, aioli"):
        train_stage.mixing_for("uniform", path, TRAIN.mixing)


def test_a_mixture_file_is_named_by_its_method_and_fingerprint(built, tmp_path):
    run = built[1]["mix"]
    path = Path(built[0]) / "run" / "mixture" / run["fingerprint"] / "mixture.json"
    assert train_stage.mixture_label(str(path)) == f"{run['method']} {run['fingerprint']}"
    bare = tmp_path / "mine.json"
    bare.write_text(json.dumps({"weights": [1.0, 1.0, 1.0]}))
    assert train_stage.mixture_label(str(bare)) == str(bare) and train_stage.mixture_label("natural") == "natural"


def test_skills_graph_from_short_runs_per_skill(built, tmp_path):
    path, m = manifest_of(built)
    s = train_stage.skills_graph(path, str(tmp_path), TRAIN.model_copy(update={"steps": 4}), base_steps=4)
    a = np.load(tmp_path / "graph.npy")
    k = len(m["skills"])
    assert a.shape == (k, k) and np.allclose(a, s["graph"]) and (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"
    assert all(a[i, i] > 0 for i in range(k))  # training on a skill lowers its own loss
    assert graph.relative_drop(np.array([2.0, 4.0]), np.array([[1.0, 4.0], [2.0, 3.0]])).tolist() == [
        [0.5, 0.0],
        [0.0, 0.25],
    ]
    assert graph.density(np.array([[1.0, 0.2], [-0.1, 1.0]])) == 0.5


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_with_bf16_and_compile_resumes(built, tmp_path):
    path, _ = manifest_of(built)
    params = TRAIN.model_copy(update={"compile": True})
    whole = train_stage.train(path, str(tmp_path / "whole"), params, device="cuda")
    train_stage.train(path, str(tmp_path / "crashed"), params, device="cuda", stop_at=4)
    resumed = train_stage.train(path, str(tmp_path / "crashed"), params, device="cuda")
    assert whole["device"] == "cuda" and np.isfinite(whole["mean_final_val_loss"])
    # bf16 kernels with atomics need not be bitwise repeatable: the resumed run ends at the same loss, closely
    assert resumed["mean_final_val_loss"] == pytest.approx(whole["mean_final_val_loss"], rel=1e-2)


def test_a_finished_run_is_not_trained_again(built, tmp_path):
    path, _ = manifest_of(built)
    first = train_stage.train(path, str(tmp_path), TRAIN)
    (tmp_path / "training.png").unlink()
    assert train_stage.train(path, str(tmp_path), TRAIN) == first and not (tmp_path / "training.png").exists()


def test_proxies_command_compares_mixtures_on_dask(built):
    from typer.testing import CliRunner

    from skillmix.cli import app

    run = built[1]["manifest"].split("/shards/")[0]
    args = ["proxies", "--run", run, "--mixture", "stratified", "--mixture", "natural", "--steps", "4",
            "--eval-every", "2", "--seq-len", "16", "--workers", "1"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "average per-skill validation loss after 4 steps" in text and "vs stratified" in text
    report = json.loads((Path(run) / "report" / "proxies" / "summary.json").read_text())
    assert [r["mixture"] for r in report["mixtures"]] == ["stratified", "natural"]
    assert report["mixtures"][1]["paired_seeds"] == 1 and len(report["runs"]) == 2
