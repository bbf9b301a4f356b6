import numpy as np
import pytest
import torch

from schemas.config import TrainParams
from tasks.attribution import trak
from tasks.train import loop


def test_kernel_is_the_exact_leave_one_out_effect_of_least_squares_up_to_leverage():
    # linear model f(x) = theta.x fit by least squares: removing example i moves theta by
    # -(X^T X)^-1 x_i r_i / (1 - h_ii), so including it changes f(x') by x'^T (X^T X)^-1 x_i r_i / (1 - h_ii);
    # TRAK with phi = x (the exact gradient, no projection), Q = the residual and lambda = 0 is that without 1/(1-h)
    rng = np.random.default_rng(0)
    x, x_target = rng.normal(size=(40, 5)), rng.normal(size=(3, 5))
    y = x @ rng.normal(size=5) + rng.normal(size=40)
    theta = np.linalg.lstsq(x, y, rcond=None)[0]
    r = y - x @ theta
    exact = np.empty((40, 3))
    for i in range(40):
        keep = np.arange(40) != i
        theta_i = np.linalg.lstsq(x[keep], y[keep], rcond=None)[0]
        exact[i] = x_target @ theta - x_target @ theta_i
    h = np.einsum("ij,jk,ik->i", x, np.linalg.inv(x.T @ x), x)
    got = trak.scores([trak.kernel_features(x, ridge=0.0)], [x_target], [r])
    np.testing.assert_allclose(got / (1 - h)[:, None], exact, rtol=1e-8, atol=1e-12)


def test_ensemble_averages_features_then_multiplies_by_the_mean_q():
    rng = np.random.default_rng(1)
    f1, f2, g1, g2 = rng.normal(size=(4, 1)), rng.normal(size=(4, 1)), rng.normal(size=(2, 1)), rng.normal(size=(2, 1))
    q1, q2 = rng.uniform(size=4), rng.uniform(size=4)
    want = (f1 @ g1.T + f2 @ g2.T) / 2 * ((q1 + q2) / 2)[:, None]  # not the mean of per-model scores
    np.testing.assert_allclose(trak.scores([f1, f2], [g1, g2], [q1, q2]), want)
    with pytest.raises(ValueError, match="same number"):
        trak.scores([f1, f2], [g1], [q1, q2])


def test_a_singular_kernel_is_named():
    with pytest.raises(np.linalg.LinAlgError, match="raise the ridge"):
        trak.kernel_features(np.ones((3, 4)), ridge=0.0)


def test_projection_is_seeded_linear_blockwise_and_keeps_inner_products():
    rng = np.random.default_rng(2)
    a, b = (torch.as_tensor(rng.normal(size=(3, 1000)), dtype=torch.float32) for _ in range(2))
    p = trak.Projector(1000, 2048, seed=7, block_rows=96)  # 11 blocks, the last one short
    assert torch.equal(p(a), trak.Projector(1000, 2048, seed=7, block_rows=96)(a))  # same seed, same bytes
    torch.testing.assert_close(torch.cat([p(a[:1]), p(a[1:])]), p(a))  # a row's projection does not depend on the batch
    torch.testing.assert_close(p(a + b), p(a) + p(b), rtol=1e-4, atol=1e-4)
    assert not torch.allclose(p(a), trak.Projector(1000, 2048, seed=8, block_rows=96)(a))
    dense = torch.cat([p.block(i) for i in range(-(-1000 // 96))])
    assert dense.shape == (1000, 2048) and p.block(0).shape == (96, 2048)
    torch.testing.assert_close(p(a), a @ dense, rtol=1e-4, atol=1e-4)
    gram, gram_p = a @ a.T, p(a) @ p(a).T  # Johnson-Lindenstrauss: inner products kept within a few %
    assert float(((gram_p - gram).abs() / gram.diagonal().max()).max()) < 0.1
    with pytest.raises(ValueError, match="gradients have 999 entries, the projector 1000"):
        p(a[:, :999])


def test_sparse_projection_is_seeded_linear_and_keeps_inner_products():
    rng = np.random.default_rng(5)
    a, b = (torch.as_tensor(rng.normal(size=(3, 5000)), dtype=torch.float32) for _ in range(2))
    p = trak.SparseProjector(5000, 2048, seed=1)
    assert torch.equal(p(a), trak.SparseProjector(5000, 2048, seed=1)(a))
    assert not torch.allclose(p(a), trak.SparseProjector(5000, 2048, seed=2)(a))
    torch.testing.assert_close(p(a + b), p(a) + p(b), rtol=1e-4, atol=1e-4)
    assert p.matrix.values().numel() <= 5000 * 8  # stored sparse: at most nnz entries per parameter
    gram, gram_p = a @ a.T, p(a) @ p(a).T
    assert float(((gram_p - gram).abs() / gram.diagonal().max()).max()) < 0.1


def test_margin_is_log_odds_of_the_target_and_q_its_complement():
    logits = torch.randn(2, 3, 7)
    y = torch.tensor([[1, 4, trak.IGNORE], [0, trak.IGNORE, trak.IGNORE]])
    f, q = trak.margin_and_q(logits, y)
    p = logits.softmax(-1)
    p0 = torch.stack([p[0, 0, 1], p[0, 1, 4]])
    torch.testing.assert_close(f[0], torch.log(p0 / (1 - p0)).mean())
    torch.testing.assert_close(q[1], 1 - p[1, 0, 0])


def _tiny(vocab=61, seq_len=16):
    return loop.build_model(vocab, TrainParams(preset="tiny", seq_len=seq_len))


def test_per_example_gradients_match_autograd_one_example_at_a_time():
    model = _tiny()
    x = torch.randint(0, 61, (4, 16))
    y = torch.randint(0, 61, (4, 16))
    y[1, :5] = trak.IGNORE
    g, f, q = trak.LastBlockGrads(model)(x, y)
    names = [n for n, _ in model.transformer.h[-1].named_parameters()]
    params = [*model.transformer.h[-1].parameters(), *model.transformer.ln_f.parameters()]
    assert g.shape == (4, sum(p.numel() for p in params)) and len(names) > 4
    for i in range(4):
        model.zero_grad()
        out, _ = trak.margin_and_q(model(input_ids=x[i : i + 1]).logits, y[i : i + 1])
        out.sum().backward()
        torch.testing.assert_close(g[i], torch.cat([p.grad.flatten() for p in params]), rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(f[i], out[0].detach(), rtol=1e-5, atol=1e-5)
    assert ((q > 0) & (q < 1)).all()


def test_a_copy_of_the_target_in_the_pool_gets_the_top_score():
    # sign check on a real model: tau(x, x) = phi^T K^-1 phi Q > 0, and no unrelated sequence outranks it
    model = _tiny()
    rng = np.random.default_rng(3)
    pool = rng.integers(0, 61, (24, 17))
    target = pool[[5]]
    grads = trak.LastBlockGrads(model)
    proj = trak.Projector(grads.n_params, 64, seed=0)
    phi, f, q = trak.featurize(grads, proj, pool[:, :-1], pool[:, 1:], chunk=10)
    g, _, _ = trak.featurize(grads, proj, target[:, :-1], target[:, 1:])
    s = trak.scores([trak.kernel_features(phi, ridge=1e-2)], [g], [q])[:, 0]
    assert s.argmax() == 5 and s[5] > 0 and phi.shape == (24, 64) and f.shape == q.shape == (24,)
