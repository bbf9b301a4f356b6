"""Mixtures compared by proxy runs: the average per-skill validation loss of each, over seeds. Pure.

The objective Aioli, BiMix and Data Mixing Laws minimise (ALGORITHMS.md 6): the uniform average over skills
of the final validation loss, so every skill counts the same whatever its size.
"""

from __future__ import annotations

import numpy as np

from tasks.common import plots


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


def figure(finals: list[tuple[str, int, np.ndarray]], rows: list[dict], labels: list[str],
           baseline: str | None = None) -> bytes:  # fmt: skip
    """PNG: average per-skill loss per mixture (mean, sd and each seed), and per skill the mean final loss of
    each mixture minus the baseline's (or the losses themselves without one)."""
    plt = plots.pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 2.5]})
    names = [r["mixture"] for r in rows]
    a.bar(range(len(rows)), [r["mean"] for r in rows], yerr=[r["std"] for r in rows], color="#9ecae1", capsize=4)
    for i, r in enumerate(rows):
        a.plot([i] * len(r["per_seed"]), list(r["per_seed"].values()), "k.", ms=4)
    lo = min(min(r["per_seed"].values()) for r in rows)
    hi = max(max(r["per_seed"].values()) for r in rows)
    a.set_ylim(lo - 0.5 * (hi - lo + 1e-3), hi + 0.5 * (hi - lo + 1e-3))
    a.set_xticks(range(len(rows)), names, rotation=30, ha="right")
    a.set_ylabel("average per-skill validation loss")
    mean = {n: np.mean([f for m, _, f in finals if m == n], axis=0) for n in names}
    relative = baseline in mean and len(names) > 1  # one mixture alone is shown as it is
    shown = [n for n in names if n != baseline] if relative else names
    width = 0.8 / len(shown)
    for i, name in enumerate(shown):
        b.bar(np.arange(len(labels)) + i * width, mean[name] - (mean[baseline] if relative else 0), width, label=name)
    b.axhline(0, color="k", lw=0.5)
    b.set_xticks(np.arange(len(labels)) + 0.4 - width / 2, [f"{j}: {t}"[:18] for j, t in enumerate(labels)],
                 rotation=60, ha="right", fontsize=7)  # fmt: skip
    b.set_ylabel(f"final loss minus {baseline}'s (mean over seeds)" if relative else "final validation loss")
    b.legend(fontsize=7)
    return plots.png(fig)
