"""DsDm's estimator end to end on token rows (../shared/ALGORITHMS.md 3(b)): proxies trained on random halves
of the pool, TRAK features of the pool and of each target under every proxy, one ensemble score per pool
example and target. Pure: arrays in, arrays out (the training loop, no files).

Sign: **higher = more beneficial** (tasks.attribution.trak): selecting the top scores is DsDm's bottom-k of
predicted target loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from schemas.config import TrainParams
from tasks.attribution import datamodels, trak
from tasks.mixing import policies
from tasks.train import loop


@dataclass(frozen=True)
class Rows:
    """Sequences and what of them is scored: x (n, T + 1) token ids, y (n, T) next-token targets, IGNORE
    where a position is padding or not scored."""

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        if self.x.ndim != 2 or self.y.shape != (self.x.shape[0], self.x.shape[1] - 1):
            raise ValueError(f"rows need x (n, T + 1) and y (n, T), got {self.x.shape} and {self.y.shape}")
        if len(self.x) == 0:
            raise ValueError("no rows")

    def take(self, index: np.ndarray) -> Rows:
        return Rows(self.x[index], self.y[index])


def train_proxy(pool: Rows, val: Rows, vocab_size: int, params: TrainParams) -> torch.nn.Module:
    """A fresh `params.preset` GPT-2 trained `params.steps` steps on pool rows drawn uniformly."""
    data = [loop.SkillData(train=pool.x, train_targets=pool.y, val=val.x, val_targets=val.y)]
    params = params.model_copy(update={"eval_every": params.steps})
    trainer = loop.Trainer(loop.build_model(vocab_size, params), data, policies.Static(np.ones(1)), params, "cpu")
    trainer.run(params.steps)
    return trainer.model.eval()


def attribute(pool: Rows, targets: dict[str, Rows], vocab_size: int, params: TrainParams, models: int = 4,
              proj_dim: int | None = None, ridge: float = 0.1, sparse: bool = True, chunk: int = 32,
              seed: int | None = None, progress: Callable[[str], None] | None = None,
              ) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """({target name: score per pool row (N,), averaged over the target's examples}, masks (models, N) of the
    halves each proxy was trained on, drawn with `seed` (default params.seed)). Proxy m: seed params.seed + m;
    projection seeded by m.

    proj_dim defaults to min(1024, N / 4): the kernel (Phi^T Phi + lambda I)^-1 needs many more rows than
    dimensions, and with N close to k and a small ridge the scores turn to noise (on the planted two-domain pool
    of the tests, 384 rows: k 64 puts 76 % of one domain's rows in the top half, k 256 with ridge 0.01 58 %)."""
    if not targets:
        raise ValueError("no targets to attribute towards")
    proj_dim = proj_dim or int(min(1024, max(8, len(pool.x) // 4)))
    masks = datamodels.random_subsets(len(pool.x), models, alpha=0.5, seed=params.seed if seed is None else seed)
    val = next(iter(targets.values()))
    feats, qs, gs = [], [], {name: [] for name in targets}
    for m, mask in enumerate(masks):
        if progress:
            progress(f"proxy {m + 1}/{models}: training on {int(mask.sum())} rows")
        model = train_proxy(pool.take(np.flatnonzero(mask)), val, vocab_size,
                            params.model_copy(update={"seed": params.seed + m}))  # fmt: skip
        grads = trak.LastBlockGrads(model)
        proj = (trak.SparseProjector if sparse else trak.Projector)(grads.n_params, proj_dim, seed=m)
        if progress:
            progress(f"proxy {m + 1}/{models}: featurising {len(pool.x)} pool rows")
        phi, _, q = trak.featurize(grads, proj, pool.x[:, :-1], pool.y, chunk=chunk)
        feats.append(trak.kernel_features(phi, ridge))
        qs.append(q)
        for name, t in targets.items():
            gs[name].append(trak.featurize(grads, proj, t.x[:, :-1], t.y, chunk=chunk)[0])
    return {name: trak.scores(feats, g, qs).mean(axis=1) for name, g in gs.items()}, masks
