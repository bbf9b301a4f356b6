"""Mixing policies the training loop consults: what each starts from, and what does not fit the data is named."""

import numpy as np
import pytest

from schemas.config import AioliParams, MixingParams, SkillItParams
from tasks.train import policies


def test_static_weights_are_normalised_and_must_cover_every_skill():
    assert policies.make(MixingParams(weights=(1.0, 3.0)), np.array([0.5, 0.5])).initial.tolist() == [0.25, 0.75]
    assert policies.make(MixingParams(), np.array([2.0, 6.0])).initial.tolist() == [0.25, 0.75]  # the manifest's
    with pytest.raises(ValueError, match="3 static weights given for 2 skills"):
        policies.make(MixingParams(weights=(1.0, 1.0, 1.0)), np.ones(2))


def test_online_policies_start_from_their_rule_and_refuse_what_does_not_fit():
    skillit = policies.make(MixingParams(method="skillit"), np.array([0.9, 0.1]))
    assert skillit.initial.sum() == pytest.approx(1.0) and skillit.initial[0] == pytest.approx(0.5)  # identity graph
    assert policies.make(MixingParams(method="aioli"), np.array([0.9, 0.1])).initial.tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="the skills graph is 2 x 2; the data has 3 skills"):
        policies.SkillIt(3, SkillItParams(graph=((1.0, 0.0), (0.0, 1.0))))
    with pytest.raises(ValueError, match="Aioli's probes take 3 skills x 1 sweeps x 20 steps = 60 steps"):
        policies.Aioli(3, AioliParams(lp_steps=20), update_every=50)
