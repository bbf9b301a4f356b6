"""Datamodels by regression at skill granularity, selection by score under a token budget, and the linear
datamodeling score (../shared/ALGORITHMS.md 3(f) and 3(g)). Pure: arrays in, arrays out.

Sign convention, shared with tasks.attribution.trak: **benefit, higher = better**. A group's benefit is
minus its regression coefficient on the target loss: including a beneficial group lowers the loss.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge


def random_subsets(n_groups: int, m: int, alpha: float = 0.5, seed: int = 0) -> np.ndarray:
    """(m, n_groups) boolean masks, each choosing round(alpha * n_groups) groups (at least one) uniformly."""
    if n_groups < 2 or m < 1 or not 0 < alpha < 1:
        raise ValueError(f"need n_groups >= 2, m >= 1 and 0 < alpha < 1, got {n_groups}, {m}, {alpha}")
    rng = np.random.default_rng(seed)
    size = max(1, round(alpha * n_groups))
    masks = np.zeros((m, n_groups), bool)
    for row in masks:
        row[rng.choice(n_groups, size, replace=False)] = True
    return masks


def group_benefit(masks: np.ndarray, losses: np.ndarray, ridge: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """(benefit (n_groups, n_targets), intercept (n_targets,)) of the linear datamodel
    loss_t(S) = intercept_t - sum_{g in S} benefit_gt, fitted by ridge regression over M runs:
    masks (M, n_groups) says which groups run m saw, losses (M,) or (M, n_targets) its target losses.
    With subsets of one fixed size (random_subsets) a shift shared by every group is absorbed by the intercept:
    differences between groups, and so rankings and selections, are identified; the level is not."""
    masks = np.asarray(masks, np.float64)
    y = np.asarray(losses, np.float64)
    y2 = y[:, None] if y.ndim == 1 else y
    if masks.ndim != 2 or len(masks) != len(y2):
        raise ValueError(f"masks {masks.shape} and losses {y.shape} must have one row per run")
    if len(masks) < 2:
        raise ValueError("a datamodel needs at least 2 runs")
    model = Ridge(alpha=ridge).fit(masks, y2)
    return -np.atleast_2d(model.coef_).T, np.atleast_1d(model.intercept_)


def predicted_loss(masks: np.ndarray, benefit: np.ndarray, intercept: float | np.ndarray = 0.0) -> np.ndarray:
    """The datamodel's loss for each subset: intercept - sum of the chosen items' benefits."""
    return intercept - np.asarray(masks, np.float64) @ np.asarray(benefit, np.float64)


def lds(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Linear datamodeling score: Spearman correlation of predicted and actual target losses over subsets."""
    predicted, actual = np.asarray(predicted, np.float64), np.asarray(actual, np.float64)
    if predicted.shape != actual.shape or predicted.size < 3:
        raise ValueError(f"need matching predictions and outcomes for >= 3 subsets, got {predicted.shape}, "
                         f"{actual.shape}")  # fmt: skip
    return float(spearmanr(predicted, actual).statistic)


def select(score: np.ndarray, tokens: np.ndarray, budget: int, groups: np.ndarray | None = None,
           group_budgets: np.ndarray | None = None, lowest: bool = False) -> np.ndarray:  # fmt: skip
    """Indices of the highest-scored items (the lowest with `lowest`, for the sign check) whose tokens fit
    the budget: globally, or per group with `groups` (item -> group) and `group_budgets` (tokens per group,
    for example the budget times a mixture). Greedy in score order; an item that does not fit is skipped,
    so smaller ones further down can still fill the budget. Ties go to the earlier item."""
    score, tokens = np.asarray(score, np.float64), np.asarray(tokens, np.int64)
    if score.shape != tokens.shape or score.ndim != 1:
        raise ValueError(f"score {score.shape} and tokens {tokens.shape} must be matching vectors")
    if (groups is None) != (group_budgets is None):
        raise ValueError("groups and group_budgets go together")
    order = np.argsort(score if lowest else -score, kind="stable")
    if groups is None:
        return np.sort(_fill(order, tokens, budget))
    groups = np.asarray(groups)
    picked = [_fill(order[groups[order] == g], tokens, int(b)) for g, b in enumerate(group_budgets)]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)


def _fill(order: np.ndarray, tokens: np.ndarray, budget: int) -> np.ndarray:
    """The prefix-greedy choice along `order` under `budget` tokens."""
    chosen, used = [], 0
    for i in order:
        if used + tokens[i] <= budget:
            chosen.append(i)
            used += tokens[i]
    return np.asarray(chosen, np.int64)


def combined_score(scores: dict[str, np.ndarray], target: str | None = None) -> np.ndarray:
    """One score per item: the named target's, or with several targets the mean of their standardised scores
    (each target's scale is its own: a target with many examples or large gradients must not drown the rest)."""
    if not scores:
        raise ValueError("no attribution targets")
    if target is not None:
        if target not in scores:
            raise ValueError(f"target {target!r} not attributed; there are {', '.join(sorted(scores))}")
        return np.asarray(scores[target], np.float64)
    if len(scores) == 1:
        return np.asarray(next(iter(scores.values())), np.float64)
    z = [(s - s.mean()) / (s.std() or 1.0) for s in (np.asarray(v, np.float64) for v in scores.values())]
    return np.mean(z, axis=0)


def keep_top(score: np.ndarray, tokens: np.ndarray, keep: float, skills: np.ndarray | None = None,
             k: int | None = None) -> np.ndarray:  # fmt: skip
    """Indices DsDm keeps: the highest scores filling `keep` of all tokens (globally), or with `skills` (item ->
    skill in 0..k-1) the highest of each skill filling `keep` of that skill's tokens, and at least its best item,
    so that every skill stays in the mixture."""
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    tokens = np.asarray(tokens, np.int64)
    if skills is None:
        return select(score, tokens, int(keep * tokens.sum()))
    skills = np.asarray(skills)
    k = int(skills.max()) + 1 if k is None else k
    per = np.bincount(skills, weights=tokens, minlength=k)
    best = np.zeros(k, np.int64)
    for g in range(k):
        members = np.flatnonzero(skills == g)
        if len(members):
            best[g] = tokens[members[np.argmax(np.asarray(score)[members])]]
    return select(score, tokens, 0, skills, np.maximum((keep * per).astype(np.int64), best))
