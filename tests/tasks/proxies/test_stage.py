"""The proxies stage on a staged manifest: runs trained once into proxies/runs/<key>, read back after; a run that
starts from another reads its weights; the design's comparison committed."""

from pathlib import Path

import pytest

from schemas.config import TrainParams
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.proxies import stage

TRAIN = TrainParams(steps=2, eval_every=2, batch_size=2, seq_len=8, eval_windows=1, warmup=0)


def test_a_design_trains_each_run_once_and_commits_its_comparison(staged):
    specs, baseline = stage.mixture_design(staged.manifest, ["stratified", "natural"], [0], TRAIN, "stratified")
    p = stage.plan(staged.run, staged.manifest, specs, baseline)
    assert not p.done and [Path(d).parent.name for d in p.dirs] == ["runs", "runs"]
    runs = [stage.train_run(p, i) for i in range(len(specs))]
    assert [r.fingerprint for r in runs] == list(p.runs) and all(Path(r.uri, "model.pt").exists() for r in runs)
    assert stage.train_run(p, 0) == runs[0]  # committed: read back, not trained
    c = stage.comparison(p, runs)
    assert [r.mixture for r in c.mixtures] == ["stratified", "natural"] and c.mixtures[1].paired_seeds == 1
    ref = catalog.ref(staged.run, "proxies", p.fingerprint)
    assert catalog.summary(ref) == c and ref.manifest == staged.manifest
    assert [catalog.proxy(r).fingerprint for r in ref.runs] == list(p.runs)
    assert stage.plan(staged.run, staged.manifest, specs, baseline).done


def test_a_run_that_starts_from_another_needs_it_committed_first(staged):
    specs = stage.graph_specs(staged.manifest, TRAIN, base_steps=2)
    p = stage.plan(staged.run, staged.manifest, specs)
    with pytest.raises(InputError, match="starts from 'base', which is not committed; train it first"):
        stage.train_run(p, 1)
    base = stage.train_run(p, 0)
    after = stage.train_run(p, 1)
    assert after.init == base.fingerprint and after.config["init"].endswith(f"{base.fingerprint}/model.pt")
