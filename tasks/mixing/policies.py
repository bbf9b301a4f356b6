"""Mixing policies the training loop asks for new weights after each evaluation: one small interface,
`update(step, losses, weights) -> weights`, over the pure rules in tasks.mixing.online."""

from __future__ import annotations

import numpy as np

from tasks.mixing import online


class Static:
    """The manifest's weights, unchanged."""

    name = "static"

    def __init__(self, weights: np.ndarray):
        self.initial = np.asarray(weights, np.float64)

    def update(self, step: int, losses: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return weights

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class SkillIt:
    """Skill-It's windowed mirror descent over a skills graph A (train skill i -> eval skill j); pre-training
    variant (window losses summed) unless `fine_tuning` (averaged). Without a graph, the identity: each skill
    only helps itself, and weights follow exp(eta * recent loss)."""

    name = "skillit"

    def __init__(self, k: int, graph: np.ndarray | None = None, eta: float = 0.5, window: int = 3,
                 fine_tuning: bool = False):  # fmt: skip
        self.graph = online.skillit_graph(np.eye(k) if graph is None else graph)
        if self.graph.shape[0] != k:
            raise ValueError(f"the skills graph has {self.graph.shape[0]} rows; the manifest has {k} skills")
        self.eta, self.window, self.fine_tuning = eta, window, fine_tuning
        self.history: list[np.ndarray] = []
        self.initial = online.skillit_initial(self.graph, eta)

    def update(self, step: int, losses: np.ndarray, weights: np.ndarray) -> np.ndarray:
        self.history.append(np.asarray(losses, np.float64))
        return online.skillit_update(self.graph, np.stack(self.history[-self.window :]), self.eta, self.fine_tuning)

    def state_dict(self) -> dict:
        return {"history": [h.tolist() for h in self.history]}

    def load_state_dict(self, state: dict) -> None:
        self.history = [np.asarray(h, np.float64) for h in state["history"]]


class Aioli:
    """Aioli: at each update, LearnParams trains `lp_steps` steps on each smoothed one-hot probe mixture (in
    `sweeps` random orders), measures every skill's validation-loss drop, solves for A, normalises it and takes
    an exponentiated-gradient step (EMA mode, as Aioli's scripts run it). The probe steps are real training."""

    name = "aioli"

    def __init__(self, k: int, eta: float = 0.2, gamma: float | None = 0.5, one_hot_factor: float = 0.75,
                 lp_steps: int = 2, sweeps: int = 1, seed: int = 0):  # fmt: skip
        self.probes = online.aioli_probes(k, one_hot_factor)
        self.eta, self.gamma, self.lp_steps, self.sweeps = eta, gamma, lp_steps, sweeps
        self.rng = np.random.default_rng(seed)
        self.ema: np.ndarray | None = None
        self.initial = np.full(k, 1.0 / k)

    def learn(self, trainer, weights: np.ndarray) -> np.ndarray:
        """Run LearnParams on `trainer` (it trains), then return the next weights."""
        k = len(self.probes)
        beta = np.zeros((k, k))
        before = trainer.val_losses()
        for j in np.concatenate([self.rng.permutation(k) for _ in range(self.sweeps)]):
            trainer.weights = self.probes[j]
            for _ in range(self.lp_steps):
                trainer.train_step()
            after = trainer.val_losses()
            beta[:, j] += before - after
            before = after
        a = online.aioli_normalize(online.aioli_estimate(beta / self.sweeps, self.probes))
        new, self.ema = online.aioli_update(weights, a, self.eta, self.gamma, self.ema)
        return new

    def update(self, step: int, losses: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return weights  # Aioli changes weights in `learn`, which the trainer calls instead

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "ema": None if self.ema is None else self.ema.tolist()}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self.ema = None if state["ema"] is None else np.asarray(state["ema"], np.float64)
