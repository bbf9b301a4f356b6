"""A training run on a staged manifest's shards: a summary at the end, None when stopped early, the loss curves
from its metrics, a model started from another run's weights."""

from pathlib import Path

import numpy as np
import pytest

from schemas.config import TrainParams
from tasks.common.errors import InputError
from tasks.train import session

TRAIN = TrainParams(steps=4, eval_every=2, batch_size=2, seq_len=8, eval_windows=1, warmup=0)


def test_a_run_ends_with_its_summary_metrics_and_curves(staged, tmp_path):
    s = session.train(staged.manifest.manifest, str(tmp_path / "a"), TRAIN)
    assert s.steps == 4 and len(s.final_val_loss) == 3 and sum(s.final_weights) == pytest.approx(1.0)
    curves = session.curves(str(tmp_path / "a" / "metrics.parquet"))
    assert curves.steps == [0, 2, 4] and np.array(curves.losses).shape == (3, 3)
    assert curves.losses[-1] == pytest.approx([s.final_val_loss[str(j)] for j in range(3)])
    assert session.train(staged.manifest.manifest, str(tmp_path / "b"), TRAIN, stop_at=2) is None


def test_a_run_started_from_another_runs_weights_begins_where_that_one_ended(staged, tmp_path):
    first = session.train(staged.manifest.manifest, str(tmp_path / "a"), TRAIN)
    state = session.load(str(tmp_path / "a" / "checkpoint.pt"))["trainer"]["model"]
    session.save(str(tmp_path / "model.pt"), state)
    cont = session.train(staged.manifest.manifest, str(tmp_path / "c"), TRAIN, init=str(tmp_path / "model.pt"))
    start = session.curves(str(tmp_path / "c" / "metrics.parquet")).losses[0]
    assert start == pytest.approx([first.final_val_loss[str(j)] for j in range(3)])  # step 0 = the other's end
    assert cont.config["init"] == str(tmp_path / "model.pt")


def test_a_manifest_without_flat_or_megatron_shards_is_refused(staged, tmp_path):
    m = session.Manifest.model_validate_json(Path(staged.manifest.manifest).read_text())
    with pytest.raises(InputError, match="training reads flat or Megatron shards; emit with --formats flat"):
        session.read_format(m.model_copy(update={"formats": ["mds"]}), "m.json")
