import numpy as np
import pytest
import torch

from schemas.config import AioliParams, MixingParams, SkillItParams, TrainParams
from tasks.train import lego, loop, online, policies

P = TrainParams(steps=30, batch_size=4, seq_len=16, lr=3e-3, warmup=5, eval_every=10, eval_windows=4)


def data():
    rng = np.random.default_rng(0)
    # skill 0: a repeating pattern (learnable); skill 1: noise over a small alphabet
    a = np.tile(np.arange(10, 20), 200).astype(np.uint16)
    b = rng.integers(30, 40, 2000).astype(np.uint16)
    return [loop.SkillData.from_stream(s, 16, 4) for s in (a, b)]


def trainer(params=P, policy=None):
    policy = policy or policies.Static(np.array([0.5, 0.5]))
    return loop.Trainer(loop.build_model(64, params), data(), policy, params)


def test_warmup_then_cosine_to_a_tenth():
    assert loop.lr_at(0, P) == pytest.approx(P.lr / 5) and loop.lr_at(4, P) == pytest.approx(P.lr)
    assert loop.lr_at(P.steps, P) == pytest.approx(0.1 * P.lr)


def test_training_lowers_the_learnable_skills_loss_and_records_metrics():
    t = trainer()
    t.run(P.steps)
    first, last = t.metrics[0], t.metrics[-2]
    assert first["step"] == 0 and last["step"] == 30 and last["skill"] == 0
    assert last["val_loss"] < first["val_loss"] - 1.0 and last["val_accuracy"] > 0.5  # the pattern is learned
    assert {m["step"] for m in t.metrics} == {0, 10, 20, 30} and all(m["weight"] == 0.5 for m in t.metrics)


def test_resume_from_a_checkpoint_gives_the_uninterrupted_result():
    whole = trainer()
    whole.run(P.steps)
    first = trainer()
    first.run(15)
    state = first.state_dict()  # before the next model's seeding resets torch's global generator
    resumed = trainer()
    resumed.load_state_dict(state)
    resumed.run(P.steps)
    for a, b in zip(whole.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert whole.metrics == resumed.metrics


def test_too_short_a_skill_is_named():
    with pytest.raises(ValueError, match="too few for training and validation windows of 17"):
        loop.split(np.zeros(20, np.uint16), 16)


def test_rows_score_only_their_targets():
    skills = lego.skill_data(3, n_train=20, seed=0, n_val=10)
    n = lego.length(3)
    d = skills[2]
    assert d.train.shape == (20, n) and d.train_targets.shape == (20, n - 1) and d.val.shape == (10, n)
    assert ((d.val_targets != loop.IGNORE).sum(axis=1) == 1).all()  # one scored target: the answer
    x, y = d.draw(np.random.default_rng(0), 5, n - 1)
    assert x.shape == (5, n) and (x[:, 1:][y != loop.IGNORE] == y[y != loop.IGNORE]).all()
    answer = y[y != loop.IGNORE]
    assert len(answer) == 5 and set(answer) <= {lego.VOCAB.index("0"), lego.VOCAB.index("1")}
    params = TrainParams(steps=2, batch_size=4, seq_len=n - 1, eval_every=1)
    t = loop.Trainer(loop.build_model(len(lego.VOCAB), params), skills, policies.Static(np.ones(3)), params)
    losses, accs = t.validate()
    assert losses.shape == (3,) and all(a in np.arange(11) / 10 for a in accs)  # a share of 10 answers


def test_skillit_policy_updates_each_round_from_the_window_of_evaluations():
    graph = ((1.0, 0.0), (1.0, 1.0))
    params = P.model_copy(update={"mixing": MixingParams(method="skillit", update_every=10,
                                                          skillit=SkillItParams(graph=graph, window=2))})  # fmt: skip
    policy = policies.make(params.mixing, np.array([0.5, 0.5]))
    t = trainer(params, policy)
    assert t.weights == pytest.approx(online.skillit_initial(online.skillit_graph(np.array(graph)), 0.5))
    t.run(20)
    window = np.array([[m["val_loss"] for m in t.metrics if m["step"] == s] for s in (10, 20)])
    assert len(policy.history) == 3  # steps 0, 10 and 20
    t.run(21)  # the round boundary at step 20 sets the weights from the last two evaluations
    want = online.skillit_update(online.skillit_graph(np.array(graph)), window, 0.5)
    assert t.weights == pytest.approx(want)


def test_skillit_fine_tuning_uses_the_target_columns_and_averages():
    p = SkillItParams(graph=((1.0, 0.5, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), targets=(1,), eta=1.0)
    policy = policies.SkillIt(3, p)
    assert policy.graph.shape == (3, 1) and policy.initial == pytest.approx(online.skillit_initial(policy.graph, 1.0))
    with pytest.raises(ValueError, match=r"target skills \[5\] are not all in \[0, 3\)"):
        policies.SkillIt(3, SkillItParams(targets=(5,)))
    with pytest.raises(ValueError, match="the skills graph is 3 x 3; the data has 2 skills"):
        policies.SkillIt(2, p)


def test_aioli_probes_are_training_steps_inside_the_round():
    mixing = MixingParams(method="aioli", update_every=10, aioli=AioliParams(lp_steps=2, sweeps=1))
    params = P.model_copy(update={"mixing": mixing, "eval_every": 5})
    t = trainer(params, policies.make(mixing, np.array([0.5, 0.5])))
    t.run(params.steps)
    assert t.step == params.steps
    steps = sorted({m["step"] for m in t.metrics})
    assert steps == [0, 5, 10, 15, 20, 25, 30]  # the schedule holds through the probe steps
    # probes (steps 1-4, 11-14, 21-24) train on 0.75/0.25 mixtures; the evaluations between them see the rounds'
    # weights, which EMA Aioli keeps within e^eta of uniform
    assert all(abs(m["weight"] - 0.5) < 0.06 for m in t.metrics)
    w = t.weights
    assert w.sum() == pytest.approx(1.0) and w.max() / w.min() <= np.exp(0.2) + 1e-9 and abs(w[0] - 0.5) > 1e-6
    with pytest.raises(ValueError, match="take 2 skills x 3 sweeps x 4 steps = 24 steps, a whole round of 20"):
        policies.Aioli(2, AioliParams(lp_steps=4, sweeps=3), update_every=20)


class LinearLawTrainer:
    """Stands in for the trainer: validation losses follow Aioli's linear law L <- L - A* p per step."""

    def __init__(self, a_star, steps=100):
        self.a, self.losses, self.step = np.asarray(a_star), np.full(len(a_star), 5.0), 0
        self.weights = np.full(len(a_star), 1 / len(a_star))
        self.params = TrainParams(steps=steps)

    def advance(self):
        self.losses = self.losses - self.a @ self.weights
        self.step += 1

    def val_losses(self):
        return self.losses.copy()


def test_aioli_learnparams_recovers_the_planted_law_and_steps_towards_its_largest_column():
    a_star = np.array([[0.03, 0.00, 0.01], [0.02, 0.01, 0.00], [0.04, 0.00, 0.02]])  # skill 0 helps everyone
    sim = LinearLawTrainer(a_star)
    policy = policies.Aioli(3, AioliParams(one_hot_factor=0.625, lp_steps=3, sweeps=2, eta=1.0), update_every=50)
    new = policy.update(sim)
    assert sim.step == 3 * 3 * 2  # every probe interval trained, in both sweeps
    want = online.aioli_update(np.full(3, 1 / 3), online.aioli_normalize(3 * a_star), 1.0, 0.5)[0]
    assert new == pytest.approx(want) and new.argmax() == 0  # beta = previous - new: a sign error would flip it
    late = LinearLawTrainer(a_star, steps=60)
    late.step = 50
    assert policy.update(late) is late.weights and late.step == 50  # too close to the end to probe: unchanged


def test_models_built_on_several_threads_at_once_are_the_ones_built_alone():
    # proxy runs mapped on a thread pool build their models together. Seen: transformers' lazy first import
    # failed (ImportError: cannot import name 'GPT2Config'), and initialisations drawn from torch's global
    # generator interleaved, giving other weights for the same seed. The import needs a fresh process.
    import subprocess
    import sys

    code = """
import threading
import torch
from schemas.config import TrainParams
from tasks.train import loop
errors, models = [], []
def build():
    try:
        models.append(loop.build_model(100, TrainParams(seq_len=8)))
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=build) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
alone = loop.build_model(100, TrainParams(seq_len=8)).state_dict()
same = [all(torch.equal(m.state_dict()[k], v) for k, v in alone.items()) for m in models]
print(errors, same)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "[] [True, True, True, True, True, True]", out.stdout + out.stderr
