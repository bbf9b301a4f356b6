"""Training on the tiny run's manifest: every mixing policy, exact resume, a finished run is not trained again."""

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch

from flows.train import train
from schemas.config import AioliParams, MixingParams, TrainParams
from tasks.common.errors import InputError
from tasks.train import session
from tests.flows.pipeline import manifest_of

pytestmark = pytest.mark.usefixtures("prefect_harness")
TRAIN = TrainParams(steps=12, batch_size=4, seq_len=16, eval_every=4, eval_windows=2)


def with_mixing(method, **kw):
    return TRAIN.model_copy(update={"mixing": MixingParams(method=method, **kw)})


@pytest.mark.parametrize("method", ["static", "aioli"])
def test_a_crashed_run_resumes_to_the_uninterrupted_result(built, tmp_path, method):
    path, m = manifest_of(built)
    params = with_mixing(method, update_every=8, aioli=AioliParams(lp_steps=1))  # 3 probe steps per round
    whole = session.train(path, str(tmp_path / "whole"), params)
    assert session.train(path, str(tmp_path / "crashed"), params, stop_at=4) is None
    resumed = session.train(path, str(tmp_path / "crashed"), params)
    assert resumed.final_val_loss == whole.final_val_loss and resumed.final_weights == whole.final_weights
    a = pq.read_table(tmp_path / "whole" / "metrics.parquet")
    assert a.equals(pq.read_table(tmp_path / "crashed" / "metrics.parquet"))
    assert a.column_names == ["step", "skill", "val_loss", "val_accuracy", "weight"]
    assert sorted(set(a["step"].to_pylist())) == [0, 4, 8, 12] and a.num_rows == 4 * len(m["skills"])
    assert (tmp_path / "whole" / "training.png").read_bytes()[:4] == b"\x89PNG"
    w = np.array(whole.final_weights)
    assert w.sum() == pytest.approx(1.0)
    if method == "aioli":  # EMA Aioli stays within e^eta of uniform, but moves by what its probes measured
        assert w.max() / w.min() <= np.exp(0.2) + 1e-9 and w.max() - w.min() > 1e-4
    else:
        assert w == pytest.approx([k["weight"] for k in m["skills"]])


def test_another_configuration_does_not_resume_a_checkpoint(built, tmp_path):
    path, _ = manifest_of(built)
    session.train(path, str(tmp_path), TRAIN, stop_at=4)
    with pytest.raises(InputError, match="checkpoint.pt was written by another configuration"):
        session.train(path, str(tmp_path), TRAIN.model_copy(update={"lr": 0.01}))


def test_skillit_mixing_moves_the_weights_and_a_wrong_graph_is_named(built, tmp_path):
    path, m = manifest_of(built)
    s = session.train(path, str(tmp_path / "skillit"), with_mixing("skillit", update_every=4))
    assert sum(s.final_weights) == pytest.approx(1.0)
    assert s.final_weights != pytest.approx([k["weight"] for k in m["skills"]], abs=1e-3)
    bad = with_mixing("skillit", skillit={"graph": ((1.0, 0.0), (0.0, 1.0))})
    with pytest.raises(InputError, match=f"the skills graph is 2 x 2; the data has {len(m['skills'])} skills"):
        session.train(path, str(tmp_path / "bad"), bad)


def test_the_train_flow_reads_a_runs_latest_manifest_and_a_finished_run_is_not_trained_again(built, tmp_path):
    path, _ = manifest_of(built)
    run = path.split("/emit/")[0]
    first = train(run, str(tmp_path), TRAIN)  # the run directory: the catalog names its latest manifest
    assert first.config["manifest"] == path
    (tmp_path / "training.png").unlink()
    assert train(path, str(tmp_path), TRAIN) == first and not (tmp_path / "training.png").exists()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_with_bf16_and_compile_resumes(built, tmp_path):
    path, _ = manifest_of(built)
    params = TRAIN.model_copy(update={"compile": True})
    whole = session.train(path, str(tmp_path / "whole"), params, device="cuda")
    session.train(path, str(tmp_path / "crashed"), params, device="cuda", stop_at=4)
    resumed = session.train(path, str(tmp_path / "crashed"), params, device="cuda")
    assert whole.device == "cuda" and np.isfinite(whole.mean_final_val_loss)
    # bf16 kernels with atomics need not be bitwise repeatable: the resumed run ends at the same loss, closely
    assert resumed.mean_final_val_loss == pytest.approx(whole.mean_final_val_loss, rel=1e-2)
