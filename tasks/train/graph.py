"""Skill-It skills graph by the linear approximation (../shared/ALGORITHMS.md 1(a)). Pure: arrays and the
training loop, no files.

From one base model, a short run on each skill alone; A[i, j] is the relative drop of skill j's validation
loss after training on skill i: (L_j(base) - L_j(after i)) / L_j(base), the normalisation Aioli's
re-implementation uses. Negative entries (training on i made j worse) are kept.
"""

from __future__ import annotations

import copy

import numpy as np

from schemas.config import TrainParams
from tasks.mixing import policies
from tasks.train import loop


def relative_drop(base: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(k, m) graph from the base losses (m,) and the losses after each skill's run (k, m)."""
    base = np.asarray(base, np.float64)
    return (base[None, :] - np.asarray(after, np.float64)) / base[None, :]


def density(a: np.ndarray, tol: float = 0.0) -> float:
    """Share of off-diagonal entries above `tol`: near 1 Skill-It acts like stratified, near 0 like
    loss-proportional sampling (ALGORITHMS.md section 6)."""
    off = ~np.eye(*a.shape, dtype=bool)
    return float((a[off] > tol).mean()) if off.any() else 0.0


def learn(data: list[loop.SkillData], vocab_size: int, params: TrainParams, base_weights: np.ndarray,
          base_steps: int, device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(A, base losses) by Skill-It's linear approximation: a base model trained `base_steps` on `base_weights`,
    then, from copies of it, `params.steps` steps on each skill alone; A[i, j] = relative_drop."""
    k = len(data)
    base_params = params.model_copy(update={"steps": max(1, base_steps), "eval_every": max(1, base_steps)})
    base = loop.Trainer(loop.build_model(vocab_size, base_params), data, policies.Static(base_weights), base_params,
                        device)  # fmt: skip
    if base_steps:
        base.run(base_steps)
    state, base_loss = copy.deepcopy(base.model.state_dict()), base.val_losses()
    after = np.empty((k, k))
    for i in range(k):
        t = loop.Trainer(loop.build_model(vocab_size, params), data, policies.Static(np.eye(k)[i]), params, device)
        t.model.load_state_dict(state)
        t.run(params.steps)
        after[i] = t.val_losses()
    return relative_drop(base_loss, after), base_loss
