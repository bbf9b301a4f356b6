"""BiMix over files: the design's proxy specs on a manifest, and the curves a fit reads."""

import numpy as np
import pytest

from schemas.config import BiMixParams, MixParams, TrainParams
from schemas.outputs import ProxyRun
from schemas.refs import ProxySpec
from tasks.common.errors import InputError
from tasks.mix import bimix_stage

PARAMS = MixParams(method="bimix", bimix=BiMixParams(proxy=TrainParams(steps=20, eval_every=5), seeds=(0, 1),
                                                     design=("stratified", "natural", "entropy-joint")))  # fmt: skip


def test_the_design_is_each_training_free_mixture_once_per_seed_with_explicit_weights(staged):
    specs = bimix_stage.design(staged.tokens, staged.manifest, PARAMS)
    assert [(s.name, s.seed) for s in specs] == [(n, seed) for n in PARAMS.bimix.design for seed in (0, 1)]
    weights = bimix_stage.design_weights(specs)
    assert weights["stratified"] == pytest.approx([1 / 3] * 3) and all(
        sum(w) == pytest.approx(1) for w in weights.values()
    )
    assert all(s.params.steps == 20 and s.params.seed == s.seed and s.init is None for s in specs)


def test_the_design_needs_a_manifest_of_every_skill(staged):
    one_skill = staged.tokens.model_copy(update={"skills": staged.skills.model_copy(update={"k": 4})})
    with pytest.raises(InputError, match="BiMix's proxies need every skill in the manifest"):
        bimix_stage.design(one_skill, staged.manifest, PARAMS)


def _run(losses: list[list[float]], steps: list[int]) -> ProxyRun:
    return ProxyRun(config={}, steps=steps[-1], device="cpu", seconds=1.0, tokens_per_second=None, parameters=1,
                    final_val_loss={str(j): v for j, v in enumerate(losses[-1])}, mean_final_val_loss=1.0,
                    final_weights=[0.5, 0.5], fingerprint="f", uri="u", metrics="m",
                    curves={"steps": steps, "losses": losses})  # fmt: skip


def test_observations_average_seeds_and_drop_the_warmup():
    p = TrainParams(steps=20)
    specs = [ProxySpec(name="a", seed=s, params=p) for s in (0, 1)]
    runs = [_run([[9, 9], [4, 2], [3, 1]], [0, 10, 20]), _run([[9, 9], [2, 4], [1, 3]], [0, 10, 20])]
    obs = bimix_stage.observations(specs, runs, skip=0.1)
    steps, losses = obs["a"]
    assert steps.tolist() == [10, 20] and losses.tolist() == [[3, 3], [2, 2]]
    with pytest.raises(ValueError, match="evaluated at different steps"):
        bimix_stage.observations(specs, [runs[0], _run([[9, 9], [1, 1]], [0, 20])], skip=0.1)
    assert np.isfinite(losses).all()
