"""Mixtures compared by proxy runs: the average per-skill validation loss of each, over seeds. Pure.

The objective Aioli, BiMix and Data Mixing Laws minimise (ALGORITHMS.md 6): the uniform average over skills
of the final validation loss, so every skill counts the same whatever its size.
"""

from __future__ import annotations

import numpy as np


def table(runs: list[tuple[str, int, np.ndarray]], baseline: str | None = None) -> list[dict]:
    """One row per mixture name (in first-seen order) from (name, seed, final per-skill losses) runs: the mean
    over seeds of the average per-skill loss, its standard deviation, the per-seed values, and, against
    `baseline`, the mean paired difference over the seeds both have (negative: better than the baseline) and
    the number of seeds it wins."""
    by: dict[str, dict[int, float]] = {}
    for name, seed, losses in runs:
        by.setdefault(name, {})[seed] = float(np.mean(losses))
    rows = []
    for name, seeds in by.items():
        vals = np.array(list(seeds.values()))
        row = {"mixture": name, "seeds": sorted(seeds), "mean": float(vals.mean()),
               "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, "per_seed": seeds}  # fmt: skip
        if baseline is not None and baseline in by and name != baseline:
            common = sorted(set(seeds) & set(by[baseline]))
            diffs = np.array([seeds[s] - by[baseline][s] for s in common])
            row |= {"vs": baseline, "mean_diff": float(diffs.mean()) if len(diffs) else float("nan"),
                    "wins": int((diffs < 0).sum()), "paired_seeds": len(common)}  # fmt: skip
        rows.append(row)
    return rows
