"""Skill-It's graph as a design of proxy runs: a base, then each skill alone from it; relative drops; density."""

import numpy as np

from schemas.config import TrainParams
from tasks.proxies import graph
from tests.tasks.proxies.test_design import _manifest


def test_the_design_is_a_base_on_the_manifests_weights_then_one_hot_runs_from_it():
    specs = graph.specs(_manifest((0.7, 0.3)), TrainParams(steps=5, eval_every=5, seed=2), base_steps=8)
    assert [s.name for s in specs] == ["base", "skill 0", "skill 1"] and specs[0].params.mixing.weights == (0.7, 0.3)
    assert specs[0].params.steps == specs[0].params.eval_every == 8 and specs[0].init is None
    assert [s.params.mixing.weights for s in specs[1:]] == [(1.0, 0.0), (0.0, 1.0)]
    assert all(s.init == "base" and s.params.steps == 5 and s.seed == 2 for s in specs[1:])
    assert [s.init for s in graph.specs(_manifest(), TrainParams(), base_steps=0)] == [None, None]


def test_relative_drops_and_density():
    a = graph.relative_drop(np.array([2.0, 4.0]), np.array([[1.0, 4.0], [2.0, 3.0]]))
    assert a.tolist() == [[0.5, 0.0], [0.0, 0.25]]
    assert graph.density(np.array([[1.0, 0.2], [-0.1, 1.0]])) == 0.5
    assert graph.figure(a, ["0: a", "1: b"])[:4] == b"\x89PNG"
