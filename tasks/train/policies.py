"""Mixing policies the training loop consults: one small interface over the pure rules in tasks.train.online.

`initial` is the first round's weights; `observe(step, losses)` sees every evaluation's per-skill validation
losses; `update(trainer)` returns the next round's weights at each round boundary (Aioli trains its probes
there); `state_dict()` and `load_state_dict()` make a resumed run exact.
"""

from __future__ import annotations

import numpy as np

from schemas.config import AioliParams, MixingParams, SkillItParams
from tasks.train import online


class Policy:
    """The interface, with the do-nothing defaults: keep the weights, remember nothing."""

    name = "policy"
    initial: np.ndarray

    def observe(self, step: int, losses: np.ndarray) -> None:
        pass

    def update(self, trainer) -> np.ndarray:
        return trainer.weights

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class Static(Policy):
    """Fixed weights (normalised)."""

    name = "static"

    def __init__(self, weights: np.ndarray):
        w = np.asarray(weights, np.float64)
        self.initial = w / w.sum()


class SkillIt(Policy):
    """Skill-It's windowed mirror descent over a skills graph A (train skill i -> eval skill j). Pre-training: all
    skills are evaluated and the window's losses summed; fine-tuning (`targets`): A's target columns only and the
    window averaged. Without a graph, the identity: each skill helps only itself, so weights follow
    exp(eta * recent loss). The window counts evaluations, as in Skill-It's trainer (ALGORITHMS.md 1(f))."""

    name = "skillit"

    def __init__(self, k: int, params: SkillItParams = SkillItParams()):
        graph = online.skillit_graph(np.eye(k) if params.graph is None else np.array(params.graph))
        if graph.shape != (k, k):
            raise ValueError(f"the skills graph is {graph.shape[0]} x {graph.shape[1]}; the data has {k} skills")
        self.targets = None if params.targets is None else list(params.targets)
        if self.targets is not None and not all(0 <= t < k for t in self.targets):
            raise ValueError(f"target skills {self.targets} are not all in [0, {k})")
        self.graph = graph if self.targets is None else graph[:, self.targets]
        self.params = params
        self.history: list[np.ndarray] = []
        self.initial = online.skillit_initial(self.graph, params.eta)

    def observe(self, step: int, losses: np.ndarray) -> None:
        losses = np.asarray(losses, np.float64)
        self.history.append(losses if self.targets is None else losses[self.targets])

    def update(self, trainer) -> np.ndarray:
        if trainer.step == 0 or not self.history:
            return self.initial
        window = np.stack(self.history[-self.params.window :])
        return online.skillit_update(self.graph, window, self.params.eta, fine_tuning=self.targets is not None)

    def state_dict(self) -> dict:
        return {"history": [h.tolist() for h in self.history]}

    def load_state_dict(self, state: dict) -> None:
        self.history = [np.asarray(h, np.float64) for h in state["history"]]


class Aioli(Policy):
    """Aioli: at each round boundary, LearnParams trains `lp_steps` steps on each smoothed one-hot probe mixture
    (in `sweeps` random orders), measures every skill's validation-loss drop, solves for A, normalises it and
    takes an exponentiated-gradient step (EMA mode by default, as Aioli's scripts run it). The probe steps are
    real training and count towards the run's steps; a round too close to the end to probe keeps its weights."""

    name = "aioli"

    def __init__(self, k: int, params: AioliParams = AioliParams(), update_every: int = 50, seed: int = 0):
        self.probes = online.aioli_probes(k, params.one_hot_factor)
        self.probe_steps = k * params.sweeps * params.lp_steps
        if self.probe_steps >= update_every:
            raise ValueError(f"Aioli's probes take {k} skills x {params.sweeps} sweeps x {params.lp_steps} steps = "
                             f"{self.probe_steps} steps, a whole round of {update_every}: raise update_every or "
                             f"lower lp_steps/sweeps")  # fmt: skip
        self.params = params
        self.rng = np.random.default_rng(seed)
        self.ema: np.ndarray | None = None
        self.initial = np.full(k, 1.0 / k)

    def update(self, trainer) -> np.ndarray:
        """Run LearnParams on `trainer` (it trains), then return the next weights."""
        if trainer.step + self.probe_steps >= trainer.params.steps:
            return trainer.weights
        k, weights = len(self.probes), trainer.weights
        beta = np.zeros((k, k))
        before = trainer.val_losses()
        for j in np.concatenate([self.rng.permutation(k) for _ in range(self.params.sweeps)]):
            trainer.weights = self.probes[j]
            for _ in range(self.params.lp_steps):
                trainer.advance()
            after = trainer.val_losses()
            beta[:, j] += before - after  # previous - new: positive when training on probe j helped skill i
            before = after
        a = online.aioli_normalize(online.aioli_estimate(beta / self.params.sweeps, self.probes))
        new, self.ema = online.aioli_update(weights, a, self.params.eta, self.params.gamma, self.ema)
        return new

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "ema": None if self.ema is None else self.ema.tolist()}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.ema = None if state["ema"] is None else np.asarray(state["ema"], np.float64)


def make(params: MixingParams, default_weights: np.ndarray, seed: int = 0) -> Policy:
    """The policy `params.method` names, over len(default_weights) skills; static uses params.weights when given."""
    k = len(default_weights)
    if params.method == "skillit":
        return SkillIt(k, params.skillit)
    if params.method == "aioli":
        return Aioli(k, params.aioli, params.update_every, seed)
    weights = default_weights if params.weights is None else np.array(params.weights)
    if len(weights) != k:
        raise ValueError(f"{len(weights)} static weights given for {k} skills")
    return Static(weights)
