import numpy as np
import pytest
import torch

from tasks.train import loop

CFG = loop.TrainConfig(steps=30, batch_size=4, seq_len=16, lr=3e-3, warmup=5, eval_every=10, eval_windows=4)


def streams(seed=0):
    rng = np.random.default_rng(seed)
    # skill 0: a repeating pattern (learnable); skill 1: noise over a small alphabet
    a = np.tile(np.arange(10, 20), 200).astype(np.uint16)
    b = rng.integers(30, 40, 2000).astype(np.uint16)
    return [loop.split(a, 16), loop.split(b, 16)]


def trainer(cfg=CFG):
    parts = streams()
    model = loop.build_model(64, cfg)
    return loop.Trainer(model, [p[0] for p in parts], [p[1] for p in parts], np.array([0.5, 0.5]), cfg)


def test_warmup_then_cosine_to_a_tenth():
    assert loop.lr_at(0, CFG) == pytest.approx(CFG.lr / 5) and loop.lr_at(4, CFG) == pytest.approx(CFG.lr)
    assert loop.lr_at(CFG.steps, CFG) == pytest.approx(0.1 * CFG.lr)


def test_training_lowers_the_learnable_skills_loss_and_records_metrics():
    t = trainer()
    before = t.evaluate()
    t.run(CFG.steps)
    after = t.metrics[-2]["val_loss"], t.metrics[-1]["val_loss"]
    assert after[0] < before[0] - 1.0  # the repeating pattern is learned
    assert {m["step"] for m in t.metrics} == {0, 10, 20, 30} and all(m["weight"] == 0.5 for m in t.metrics)


def test_resume_from_a_checkpoint_gives_the_uninterrupted_result():
    whole = trainer()
    whole.run(CFG.steps)
    first = trainer()
    first.run(15)
    state = first.state_dict()
    resumed = trainer()
    resumed.load_state_dict(state)
    resumed.run(CFG.steps)
    for a, b in zip(whole.model.parameters(), resumed.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert whole.metrics == resumed.metrics


def test_too_short_a_skill_is_named():
    with pytest.raises(ValueError, match="too few for training and validation windows of 17"):
        loop.split(np.zeros(20, np.uint16), 16)
