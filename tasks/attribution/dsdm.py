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
from tasks.train import loop, policies


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


def target_loss(model: torch.nn.Module, rows: Rows, chunk: int = 64) -> float:
    """Mean next-token cross-entropy of `model` over the scored positions of `rows`."""
    total, count = 0.0, 0
    with torch.no_grad():
        for a in range(0, len(rows.x), chunk):
            logits = model(input_ids=torch.as_tensor(rows.x[a : a + chunk, :-1])).logits
            y = torch.as_tensor(rows.y[a : a + chunk])
            ce = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=loop.IGNORE,
                                                   reduction="sum")  # fmt: skip
            total += float(ce)
            count += int((y != loop.IGNORE).sum())
    return total / max(count, 1)


def group_attribute(pool: Rows, groups: np.ndarray, targets: dict[str, Rows], vocab_size: int, params: TrainParams,
                    subsets: int = 32, alpha: float = 0.5, ridge: float = 1e-3, seed: int | None = None,
                    k: int | None = None, progress: Callable[[str], None] | None = None,
                    on_run: Callable[[int], None] | None = None) -> dict:  # fmt: skip
    """Group-level datamodels (ALGORITHMS.md 3(f).2): `subsets` proxies, each trained on the pool rows of a random
    alpha-subset of the k groups (row -> group in 0..k-1; k default: the largest + 1), their target losses
    regressed on which groups they saw. Returns {"benefit": (k, targets), higher = more beneficial,
    "intercept", "masks": (subsets, k), "losses": (subsets, targets), "targets": names,
    "cv_spearman": {target: Spearman of out-of-fold predictions with the losses (5 folds), None under 10 runs}}."""
    if not targets:
        raise ValueError("no targets to attribute towards")
    groups = np.asarray(groups)
    k = int(groups.max()) + 1 if k is None else k
    masks = datamodels.random_subsets(k, subsets, alpha=alpha, seed=params.seed if seed is None else seed)
    names = list(targets)
    losses = np.zeros((subsets, len(names)))
    for m, mask in enumerate(masks):
        rows = np.flatnonzero(mask[groups])
        if progress:
            progress(f"subset {m + 1}/{subsets}: training on {int(mask.sum())} of {k} groups ({len(rows)} rows)")
        model = train_proxy(pool.take(rows), next(iter(targets.values())), vocab_size,
                            params.model_copy(update={"seed": params.seed + m}))  # fmt: skip
        losses[m] = [target_loss(model, targets[n]) for n in names]
        if on_run:
            on_run(m + 1)
    benefit, intercept = datamodels.group_benefit(masks, losses, ridge)
    return {"benefit": benefit, "intercept": intercept, "masks": masks, "losses": losses, "targets": names,
            "cv_spearman": {n: _cv_spearman(masks, losses[:, j], ridge) for j, n in enumerate(names)}}  # fmt: skip


def _cv_spearman(masks: np.ndarray, losses: np.ndarray, ridge: float, folds: int = 5) -> float | None:
    """Spearman correlation of out-of-fold datamodel predictions with the measured losses (LDS on held-out runs)."""
    if len(masks) < 2 * folds:
        return None
    pred = np.zeros(len(masks))
    for f in range(folds):
        test = np.arange(len(masks)) % folds == f
        b, c = datamodels.group_benefit(masks[~test], losses[~test], ridge)
        pred[test] = datamodels.predicted_loss(masks[test], b[:, 0], c[0])
    return datamodels.lds(pred, losses)


def attribute(pool: Rows, targets: dict[str, Rows], vocab_size: int, params: TrainParams, models: int = 4,
              proj_dim: int | None = None, ridge: float = 0.1, sparse: bool = True, chunk: int = 32,
              seed: int | None = None, progress: Callable[[str], None] | None = None,
              on_rows: Callable[[int], None] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:  # fmt: skip
    """({target name: score per pool row (N,), averaged over the target's examples}, masks (models, N) of the
    halves each proxy was trained on, drawn with `seed` (default params.seed)). Proxy m: seed params.seed + m;
    projection seeded by m. progress(message) at each phase; on_rows(pool rows featurised over all proxies).

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
        done = m * len(pool.x)
        phi, _, q = trak.featurize(grads, proj, pool.x[:, :-1], pool.y, chunk=chunk,
                                   progress=(lambda n, d=done: on_rows(d + n)) if on_rows else None)  # fmt: skip
        feats.append(trak.kernel_features(phi, ridge))
        qs.append(q)
        for name, t in targets.items():
            gs[name].append(trak.featurize(grads, proj, t.x[:, :-1], t.y, chunk=chunk)[0])
    return {name: trak.scores(feats, g, qs).mean(axis=1) for name, g in gs.items()}, masks
