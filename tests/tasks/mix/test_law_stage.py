"""The law method over files: the swarm's first round on a manifest (explicit weights within the repetition caps),
and the table a law is fitted to."""

import numpy as np
import pytest

from schemas.config import LawParams, MixParams, TrainParams
from schemas.outputs import ProxyRun
from tasks.common.errors import InputError
from tasks.mix import law_stage

PARAMS = MixParams(method="law", law=LawParams(runs=6, proxy=TrainParams(steps=20, eval_every=5)))


def test_the_first_round_is_distinct_sampled_mixtures_within_the_caps(staged):
    specs = law_stage.first_round(staged.tokens, staged.manifest, PARAMS)
    m = law_stage.manifest_of(staged.tokens, staged.manifest)
    prior, cap, budget = law_stage.setting(m, PARAMS.law)
    assert budget == sum(s.tokens_available for s in m.skills) and prior.sum() == pytest.approx(1)
    W = np.array([s.params.mixing.weights for s in specs])
    assert [s.name for s in specs] == [f"r1-{i:03d}" for i in range(6)] and len({tuple(w) for w in W}) == 6
    assert W.sum(axis=1) == pytest.approx(np.ones(6)) and (cap + 1e-9 >= W).all()
    assert all(s.params.steps == 20 and s.seed == 0 for s in specs)
    assert law_stage.first_round(staged.tokens, staged.manifest, PARAMS) == specs  # a seed gives the same swarm


def test_the_first_round_needs_a_manifest_of_every_skill_and_feasible_caps(staged):
    more = staged.tokens.model_copy(update={"skills": staged.skills.model_copy(update={"k": 9})})
    with pytest.raises(InputError, match="need every skill in the manifest"):
        law_stage.first_round(more, staged.manifest, PARAMS)
    tight = PARAMS.model_copy(update={"law": PARAMS.law.model_copy(update={"max_repeat": 0.01})})
    with pytest.raises(ValueError, match="no mixture satisfies|repetition caps"):
        law_stage.first_round(staged.tokens, staged.manifest, tight)


def _run(losses: list[float]) -> ProxyRun:
    return ProxyRun(config={}, steps=20, device="cpu", seconds=1.0, tokens_per_second=None, parameters=1,
                    final_val_loss={str(j): v for j, v in enumerate(losses)}, final_weights=[], fingerprint="f",
                    mean_final_val_loss=float(np.mean(losses)), uri="u", metrics="m",
                    curves={"steps": [20], "losses": [losses]})  # fmt: skip


def test_the_table_holds_each_runs_weights_and_every_skills_final_loss(staged):
    specs = law_stage.first_round(staged.tokens, staged.manifest, PARAMS)
    k = staged.tokens.skills.k
    runs = [_run([1.0 + i + j / 10 for j in range(k)]) for i in range(len(specs))]
    X, Y, names, own, groups = law_stage.table(staged.tokens, specs, runs, {})
    assert X.shape == (6, k) and Y.shape == (6, k) and Y[2, 1] == pytest.approx(3.1)
    assert names[0] == "skill_00_val_loss" and own == list(range(k)) and groups == {"mean": names, "target": []}
