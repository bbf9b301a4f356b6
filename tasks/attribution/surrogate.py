"""A learned surrogate of TRAK scores (ALGORITHMS-2.md 2.2, after MATES and BETR): TRAK scores a sample of the
documents stratified by skill; a regression from what a run already holds (embedding, skill, length, source)
predicts the rest. Pure: arrays in, arrays out; no files, no Prefect.

- Sample: n_c proportional to sqrt(|skill c|), at least `floor` per skill (or all of a smaller one), exactly n.
- Labels: a rank-Gauss transform of the scores (heavy-tailed; Spearman is unchanged by it). Predictions are
  mapped back onto the sample's own score distribution (monotone), so they keep TRAK's scale and sign.
- Candidates: ridge (RidgeCV), LightGBM and an MLP, each scored by k-fold held-out Spearman on the sample; the
  best mean wins, ties going to the earlier candidate (ridge first). The skill-mean baseline (each document
  predicted by its skill's mean label) is reported beside them: a surrogate that does no better only ranks skills.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from schemas.config import MIN_SURROGATE_SAMPLE, SURROGATES
from schemas.outputs import SurrogateSummary

CANDIDATES = SURROGATES  # ridge first: ties go to it
MIN_SAMPLE = MIN_SURROGATE_SAMPLE  # the smallest sample the k-fold selection is run on (10 a fold at 5 folds)
MIN_SKILL_DOCS = 5  # a skill's held-out Spearman needs at least this many sampled documents


def stratified_sample(groups: np.ndarray, n: int, seed: int, floor: int = 20) -> np.ndarray:
    """Sorted indices of n items, n_c per group proportional to sqrt(group size), at least min(floor, size)
    per group while n allows, never more than the group holds; within a group uniformly at random."""
    groups = np.asarray(groups)
    if not 1 <= n <= len(groups):
        raise ValueError(f"a sample of {n} from {len(groups)} items")
    _, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    want = n * np.sqrt(sizes) / np.sqrt(sizes).sum()
    low = np.minimum(floor, sizes)
    if low.sum() > n:  # n cannot give every group its floor: proportional to sqrt alone
        low = np.zeros_like(sizes)
    alloc = np.clip(np.floor(want).astype(np.int64), low, sizes)
    while alloc.sum() < n:  # largest shortfall first, among groups with room
        alloc[np.argmax(np.where(alloc < sizes, want - alloc, -np.inf))] += 1
    while alloc.sum() > n:  # largest excess first, among groups above their floor
        alloc[np.argmax(np.where(alloc > low, alloc - want, -np.inf))] -= 1
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(inverse == g), size=int(a), replace=False) for g, a in enumerate(alloc)]
    return np.sort(np.concatenate(picked))


def features(embeddings: np.ndarray, skills: np.ndarray, k: int, lengths: np.ndarray,
             sources: np.ndarray) -> np.ndarray:  # fmt: skip
    """(N, dim + k + 1 + sources) float32: the embedding, the skill one-hot, log(1 + tokens), the source one-hot."""
    embeddings = np.asarray(embeddings, np.float32)
    n = len(embeddings)
    if not (len(skills) == len(lengths) == len(sources) == n):
        raise ValueError(f"features of {n} embeddings need as many skills, lengths and sources, got "
                         f"{len(skills)}, {len(lengths)}, {len(sources)}")  # fmt: skip
    skill_hot = np.zeros((n, k), np.float32)
    skill_hot[np.arange(n), np.asarray(skills, np.int64)] = 1
    _, codes = np.unique(np.asarray(sources, str), return_inverse=True)
    source_hot = np.zeros((n, int(codes.max()) + 1 if n else 0), np.float32)
    source_hot[np.arange(n), codes] = 1
    length = np.log1p(np.asarray(lengths, np.float64)).astype(np.float32)[:, None]
    return np.hstack([embeddings, skill_hot, length, source_hot])


def rank_gauss(y: np.ndarray) -> np.ndarray:
    """Normal quantiles of the ranks (ties averaged): the same order, a Gaussian shape."""
    y = np.asarray(y, np.float64)
    return stats.norm.ppf((stats.rankdata(y) - 0.5) / len(y))


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rho, None where it is undefined (fewer than 3 items or a constant side)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return float(stats.spearmanr(a, b).statistic)


def make(name: str, seed: int):
    """An unfitted candidate: a scikit-learn estimator (LightGBM through its scikit-learn interface)."""
    from sklearn.linear_model import RidgeCV
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "ridge":
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 5, 13)))
    if name == "mlp":
        return make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(256,), alpha=1e-3, early_stopping=True,
                                                            max_iter=500, random_state=seed))  # fmt: skip
    if name == "lightgbm":
        import lightgbm

        return lightgbm.LGBMRegressor(num_leaves=31, learning_rate=0.03, n_estimators=300, min_child_samples=20,
                                      subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=seed,
                                      deterministic=True, force_row_wise=True, n_jobs=2, verbose=-1)  # fmt: skip
    raise ValueError(f"unknown surrogate {name!r}; choose from {', '.join(CANDIDATES)}")


def _fit(name: str, x: np.ndarray, z: np.ndarray, seed: int):
    model = make(name, seed)
    with warnings.catch_warnings():  # an MLP that stops at max_iter still predicts; its CV score says how well
        warnings.simplefilter("ignore")
        return model.fit(x, z)


def folds_of(n: int, folds: int, seed: int) -> np.ndarray:
    """Fold number per item: a seeded permutation cut in `folds` near-equal parts."""
    fold = np.empty(n, np.int64)
    fold[np.random.default_rng(seed).permutation(n)] = np.arange(n) % folds
    return fold


@dataclass
class Surrogate:
    """A fitted candidate and the map from its rank-Gauss predictions back to the sample's scores."""

    name: str
    model: object
    z_sorted: np.ndarray
    y_sorted: np.ndarray

    def predict(self, x: np.ndarray, chunk: int = 65536) -> np.ndarray:
        """Scores on the sample's scale (monotone in the model's prediction), in chunks of rows."""
        z = np.concatenate([self.model.predict(x[a : a + chunk]) for a in range(0, len(x), chunk)]) if len(x) else \
            np.zeros(0)  # fmt: skip
        return np.interp(z, self.z_sorted, self.y_sorted)


@dataclass
class Fit:
    """What the k-fold selection found (scores on TRAK's scale; Spearman of held-out predictions)."""

    surrogate: Surrogate
    cv: dict[str, dict]  # candidate -> {"rho": mean over folds, "folds": [...], "seconds": ...}
    rho: float | None  # the chosen candidate's out-of-fold predictions against TRAK, all sampled documents
    per_skill: dict[str, float | None]  # the same within each skill (None under MIN_SKILL_DOCS)
    skill_mean_rho: float | None  # the baseline: each document predicted by its skill's in-fold mean
    within_skill_rho: float | None  # the mean of per_skill over the skills that have one
    oof: np.ndarray = field(repr=False)  # the chosen candidate's out-of-fold predictions, TRAK's scale


def fit(x: np.ndarray, y: np.ndarray, skills: np.ndarray, candidates: tuple[str, ...] = CANDIDATES, folds: int = 5,
        seed: int = 0, progress=None) -> Fit:  # fmt: skip
    """Score each candidate by `folds`-fold held-out Spearman on (x, y), refit the best on all of it."""
    x, y, skills = np.asarray(x, np.float32), np.asarray(y, np.float64), np.asarray(skills)
    if len(x) < MIN_SAMPLE or len(x) != len(y):
        raise ValueError(f"a surrogate needs at least {MIN_SAMPLE} scored documents and as many rows, got "
                         f"{len(y)} scores for {len(x)} rows")  # fmt: skip
    if not candidates:
        raise ValueError("no surrogate candidates")
    z = rank_gauss(y)
    fold = folds_of(len(x), folds, seed)
    cv, oof = {}, {}
    for name in candidates:
        start, pred, rhos = time.perf_counter(), np.zeros(len(x)), []
        for f in range(folds):
            test = fold == f
            pred[test] = _fit(name, x[~test], z[~test], seed).predict(x[test])
            rhos.append(spearman(pred[test], y[test]))
        cv[name] = {"rho": float(np.mean([r if r is not None else 0.0 for r in rhos])),
                    "folds": [None if r is None else round(r, 4) for r in rhos],
                    "seconds": round(time.perf_counter() - start, 2)}  # fmt: skip
        oof[name] = pred
        if progress:
            progress(f"surrogate {name}: held-out Spearman {cv[name]['rho']:.3f} ({cv[name]['seconds']} s)")
    best = max(candidates, key=lambda n: (cv[n]["rho"], -candidates.index(n)))
    base = np.zeros(len(x))
    for f in range(folds):
        test = fold == f
        means = {s: z[~test][skills[~test] == s].mean() for s in np.unique(skills[~test])}
        base[test] = [means.get(s, z[~test].mean()) for s in skills[test]]
    order = np.argsort(z)
    model = Surrogate(best, _fit(best, x, z, seed), z[order], y[order])
    per_skill = {str(int(s)): spearman(oof[best][skills == s], y[skills == s])
                 if (skills == s).sum() >= MIN_SKILL_DOCS else None for s in np.unique(skills)}  # fmt: skip
    within = [r for r in per_skill.values() if r is not None]
    return Fit(surrogate=model, cv=cv, rho=spearman(oof[best], y), per_skill=per_skill,
               skill_mean_rho=spearman(base, y), within_skill_rho=float(np.mean(within)) if within else None,
               oof=np.interp(oof[best], model.z_sorted, model.y_sorted))  # fmt: skip


def weak_warning(s: SurrogateSummary) -> str:
    """The one text that says a surrogate is weak (the flow's log and the section the CLI and the report show)."""
    weak = ", ".join(f"{t.target} ({'-' if t.rho is None else f'{t.rho:+.3f}'})" for t in s.targets if t.weak)
    return (f"WEAK SURROGATE: held-out Spearman below --min-rho {s.min_rho} for {weak}. Its "
            f"{s.scored_by['surrogate']:,} documents are ranked little better than chance: raise --sample or run "
            "TRAK on every document.")  # fmt: skip
