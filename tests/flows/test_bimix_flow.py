"""BiMix through the mix flow on a copy of the tiny curated run: proxies on the design mixtures, the law fitted
to their curves, its optimum written as a mixture that emit packs; a rerun trains nothing. And the curate flow
with --mixture bimix, end to end."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from flows.emit import emit
from flows.mix import mix
from schemas.config import BiMixParams, EmitParams, MixParams, TrainParams
from tasks.shards.verify import verify
from tests.flows import pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")
PROXY = TrainParams(steps=40, eval_every=5, batch_size=4, seq_len=16, warmup=2)
PARAMS = MixParams(method="bimix", bimix=BiMixParams(proxy=PROXY, design=("stratified", "natural",
                                                                          "entropy-conditional")))  # fmt: skip


def test_bimix_fits_the_design_proxies_and_writes_its_optimum(built, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(built[0] / "run", run)
    doc = mix(str(run), PARAMS)
    k = len(doc["skills"])
    w = np.array(doc["weights"])
    assert doc["method"] == "bimix" and w.sum() == pytest.approx(1.0) and (w > 0).all()
    law = doc["law"]
    assert set(law["design"]) == {"stratified", "natural", "entropy-conditional"} and len(law["proxies"]) == 3
    assert law["holdout"]["fitted_on"] == ["stratified", "entropy-conditional"]
    assert np.isfinite(law["holdout"]["mape"]) and len(law["r2_log_loss"]) == k
    assert law["design"]["natural"]["final_step"] == 40 and law["target_steps"] == 40
    # the optimum is the law's, within the shares the design tried: no design mixture is predicted lower
    assert law["predicted_mean"]["bimix"] <= min(v for n, v in law["predicted_mean"].items() if n != "bimix")
    assert (w >= np.array(law["bounds"]["lower"]) - 1e-9).all() and (w <= np.array(law["bounds"]["upper"]) + 1e-9).all()
    for s in doc["skills"]:
        assert s["bimix"]["A"] == 1.0 and 0 < s["bimix"]["alpha"] <= 2 and s["bimix"]["C"] > 0
    assert (run / "report" / "mix" / "bimix.png").read_bytes()[:4] == b"\x89PNG"
    proxies = sorted((run / "work" / "proxies").iterdir())
    again = mix(str(run), PARAMS)
    assert again == doc and sorted((run / "work" / "proxies").iterdir()) == proxies
    out = emit(str(run), EmitParams(seq_len=8, shard_tokens=1024, formats=("flat",)))
    m = json.loads(Path(out).read_text())
    assert [s["weight"] for s in m["skills"]] == pytest.approx(doc["weights"]) and verify(out)["skills"] == k


def test_curate_with_bimix_trains_proxies_on_a_natural_manifest_then_emits_the_laws_optimum(tmp_path):
    out = pipeline.run_pipeline(tmp_path, "run", pipeline.PARAMS.model_copy(update={"mix": PARAMS}))
    doc = out["mix"]
    assert doc["method"] == "bimix" and len(doc["law"]["proxies"]) == 3
    m = json.loads(Path(out["manifest"]).read_text())
    assert [s["weight"] for s in m["skills"]] == pytest.approx(doc["weights"])
    assert m["mixture"]["fingerprint"] == doc["fingerprint"]
    assert verify(out["manifest"])["skills"] == len(doc["skills"])
    base = json.loads(Path(doc["provenance"]["manifest"]).read_text())  # what the proxies trained on
    assert base["mixture"]["method"] == "natural" and Path(doc["provenance"]["manifest"]) != Path(out["manifest"])
    tokens = np.array([s["tokens"] for s in doc["skills"]], np.float64)
    assert [s["skill"] for s in base["skills"]] == list(range(len(tokens)))
    assert [s["weight"] for s in base["skills"]] == pytest.approx(list(tokens / tokens.sum()))  # natural
