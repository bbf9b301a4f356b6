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
