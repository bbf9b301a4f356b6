"""Skill-It skills graph by the linear approximation (../shared/ALGORITHMS.md 1(a)), as a design of proxy runs.
Pure: a manifest's values and run losses in, specs, a matrix and a PNG out.

From one base model (a run on the manifest's weights), a short run on each skill alone; A[i, j] is the relative
drop of skill j's validation loss after training on skill i: (L_j(base) - L_j(after i)) / L_j(base), the
normalisation Aioli's re-implementation uses. Negative entries (training on i made j worse) are kept.
"""

from __future__ import annotations

import numpy as np

from schemas.config import MixingParams, TrainParams
from schemas.manifest import Manifest
from schemas.refs import ProxySpec
from tasks.common import plots


def specs(m: Manifest, params: TrainParams, base_steps: int) -> list[ProxySpec]:
    """The design: a base run of `base_steps` on the manifest's weights (none when 0: the skills' runs then start
    from the same untrained model), then `params.steps` steps on each skill alone, from the base."""
    k = len(m.skills)
    out = []
    if base_steps:
        base = params.model_copy(
            update={
                "steps": base_steps,
                "eval_every": base_steps,
                "mixing": MixingParams(weights=tuple(s.weight for s in m.skills)),
            }
        )
        out.append(ProxySpec(name="base", seed=params.seed, params=base))  # fmt: skip
    for i in range(k):
        one_hot = MixingParams(weights=tuple(float(j == i) for j in range(k)))
        out.append(ProxySpec(name=f"skill {i}", seed=params.seed, params=params.model_copy(update={"mixing": one_hot}),
                             init="base" if base_steps else None))  # fmt: skip
    return out


def relative_drop(base: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(k, m) graph from the base losses (m,) and the losses after each skill's run (k, m)."""
    base = np.asarray(base, np.float64)
    return (base[None, :] - np.asarray(after, np.float64)) / base[None, :]


def density(a: np.ndarray, tol: float = 0.0) -> float:
    """Share of off-diagonal entries above `tol`: near 1 Skill-It acts like stratified, near 0 like
    loss-proportional sampling (ALGORITHMS.md section 6)."""
    off = ~np.eye(*a.shape, dtype=bool)
    return float((a[off] > tol).mean()) if off.any() else 0.0


def figure(a: np.ndarray, labels: list[str]) -> bytes:
    """PNG: heatmap of A[i, j], the relative loss drop of skill j after training on skill i."""
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(0.5 * len(labels) + 4, 0.5 * len(labels) + 3))
    lim = max(abs(float(a.min())), abs(float(a.max())), 1e-9)
    im = ax.imshow(a, cmap="RdBu", vmin=-lim, vmax=lim)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("evaluated skill j")
    ax.set_ylabel("trained skill i")
    ax.set_title(f"skills graph: relative loss drop (density {density(a):.2f})")
    fig.colorbar(im)
    return plots.png(fig)
