"""Designs of proxy runs: run keys cover what a run reads (shards by content, parameters, its start), not the
manifest's weights."""

import pytest

from schemas.config import MixingParams, TrainParams
from schemas.manifest import Manifest
from schemas.refs import ProxySpec
from tasks.proxies import design


def _manifest(weights=(0.5, 0.5), sha="aa") -> Manifest:
    shard = {
        "path": "skill-00000/flat/part-00000.bin",
        "format": "flat",
        "dtype": "uint16",
        "documents": 1,
        "tokens": 10,
        "samples": None,
        "sha256": {"part-00000.bin": sha},
    }
    skills = [
        {
            "skill": i,
            "label": f"s{i}",
            "weight": w,
            "documents": 1,
            "tokens_available": 10 * (i + 1),
            "tokens_to_draw": 10,
            "repeat_factor": 1.0,
            "shards": [shard],
        }
        for i, w in enumerate(weights)
    ]
    return Manifest.model_validate({
        "seq_len": 16, "token_budget": 20, "seed": 0, "formats": ["flat"], "skills": skills, "lineage": {},
        "tokenizer": {"source": "t", "path": "tokenizer.json", "vocab_size": 300, "eos_token": "e", "eos_id": 0,
                      "sha256": "tok"}, "mixture": {},
        "trainer_inputs": {"megatron_data_args": None, "megatron_blend": [], "mds_streams": [],
                           "mds_epoch_size": None, "litdata_weights": list(weights)}})  # fmt: skip


def test_the_data_key_is_the_shards_content_not_the_weights():
    assert design.data_key(_manifest((0.5, 0.5)), "flat") == design.data_key(_manifest((0.9, 0.1)), "flat")
    assert design.data_key(_manifest(sha="bb"), "flat") != design.data_key(_manifest(), "flat")
    assert design.data_key(_manifest(), "megatron") != design.data_key(_manifest(), "flat")


def test_run_keys_cover_parameters_data_and_the_run_started_from():
    p = TrainParams(steps=4)
    base = ProxySpec(name="base", seed=0, params=p)
    after = ProxySpec(name="skill 0", seed=0, params=p.model_copy(update={"steps": 2}), init="base")
    keys = design.keys([base, after], "data")
    assert keys[0] == p.fingerprint("data", "") and keys[1] == after.params.fingerprint("data", keys[0])
    assert design.keys([base], "other")[0] != keys[0]
    assert design.keys([base.model_copy(update={"params": p.model_copy(update={"seed": 1})})], "data") != keys[:1]
    with pytest.raises(ValueError, match="starts from 'base', which is not an earlier run"):
        design.keys([after, base], "data")
    fp = design.fingerprint([base, after], keys, None)
    assert fp != design.fingerprint([base, after], keys, "base") and len(fp) == 12


def test_a_grid_is_every_mixing_once_per_seed():
    grid = design.grid({"a": MixingParams(weights=(1.0, 0.0)), "b": MixingParams()}, [0, 1], TrainParams())
    assert [(s.name, s.seed, s.params.seed) for s in grid] == [("a", 0, 0), ("a", 1, 1), ("b", 0, 0), ("b", 1, 1)]
    assert design.mixing("manifest", _manifest((0.9, 0.1)), MixingParams()).weights == (0.9, 0.1)
    assert design.mixing("stratified", _manifest(), MixingParams()).weights == (0.5, 0.5)
