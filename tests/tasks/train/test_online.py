import numpy as np
import pytest

from tasks.train import online


def test_skillit_complete_graph_gives_uniform_weights():
    complete = online.skillit_graph(np.ones((4, 4)))  # off-diagonal 1 -> 0.5, as the trainer loads it
    assert complete[0, 1] == 0.5 and complete[0, 0] == 1.0
    assert online.skillit_initial(complete, eta=0.8) == pytest.approx(np.full(4, 0.25))
    losses = np.array([[2.0, 2.0, 2.0, 2.0]])
    assert online.skillit_update(complete, losses, eta=0.8) == pytest.approx(np.full(4, 0.25))


def test_skillit_identity_graph_weights_skills_by_exp_eta_loss():
    losses = np.array([[1.0, 2.0, 3.0], [1.5, 2.5, 0.5]])  # a window of two evaluations
    p = online.skillit_update(np.eye(3), losses, eta=0.5)
    want = np.exp(0.5 * losses.sum(axis=0))
    assert p == pytest.approx(want / want.sum())
    p_ft = online.skillit_update(np.eye(3), losses, eta=0.5, fine_tuning=True)  # fine-tuning averages
    want_ft = np.exp(0.5 * losses.mean(axis=0))
    assert p_ft == pytest.approx(want_ft / want_ft.sum())


def test_skillit_prerequisite_gets_weight_from_its_edge():
    a = np.array([[1.0, 0.9], [0.0, 1.0]])  # skill 0 helps skill 1
    losses = np.array([[0.1, 3.0]])  # skill 0 is learned, skill 1 is not
    with_edge, without = online.skillit_update(a, losses, eta=1.0), online.skillit_update(np.eye(2), losses, eta=1.0)
    assert with_edge[0] > 5 * without[0] and with_edge.sum() == pytest.approx(1.0)


def test_aioli_recovers_a_planted_transfer_matrix_from_smoothed_probes():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (4, 4))
    probes = online.aioli_probes(4, one_hot_factor=0.7)
    assert probes.sum(axis=1) == pytest.approx(np.ones(4)) and probes[2, 2] == 0.7
    beta = a @ probes.T  # the linear law's loss drops when training on each probe
    assert online.aioli_estimate(beta, probes) == pytest.approx(a)
    assert online.aioli_estimate(beta, online.aioli_probes(4, 1.0)) == pytest.approx(beta)  # one-hot: A = beta


def test_aioli_normalisation_and_update():
    a = online.aioli_normalize(np.array([[0.5, -0.5], [1.0, 0.0]]))
    assert a.min() == 0 and a.sum() == pytest.approx(1.0)
    p, ema = online.aioli_update(np.full(2, 0.5), a, eta=1.0)
    want = 0.5 * np.exp(a.sum(axis=0))
    assert p == pytest.approx(want / want.sum()) and ema is not None
    p1, ema1 = online.aioli_update(p, a, eta=0.2, gamma=0.5)
    p2, _ = online.aioli_update(p1, np.full((2, 2), 0.25), eta=0.2, gamma=0.5, a_ema=ema1)
    assert p2.max() / p2.min() <= np.exp(0.2) + 1e-12  # EMA mode stays within e^eta of uniform
    assert online.aioli_normalize(np.zeros((2, 2))) == pytest.approx(np.full((2, 2), 0.25))
