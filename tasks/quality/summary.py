"""The quality stage's summary and figures. Pure: tables and values in, a summary / PNG bytes out."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa

from schemas.config import QUALITY_PRESETS, QualityParams, QualityRule
from schemas.outputs import QualitySummary
from schemas.refs import QualityPlan
from schemas.tables import QUALITY_STATS
from tasks.common import plots
from tasks.quality import rules

DEDUP_REASONS = ("exact_duplicate", "near_duplicate")
TOP_LANGUAGES = 10
EXCERPT = 300  # characters of a dropped document shown in the report
BINS = 30


def build(p: QualityPlan, params: QualityParams, t: pa.Table, dedup_reasons: Counter, texts: dict[str, str],
          work: dict[str, int], seconds: float, versions: dict) -> QualitySummary:  # fmt: skip
    """The stage's summary (report/quality/summary.json). `t`: dedup's kept documents, their statistics, `source`,
    `n_bytes` and `reason` ('' where kept)."""
    reason = np.asarray(t["reason"].to_pylist(), dtype=object)
    source = np.asarray(t["source"].to_pylist(), dtype=object)
    language = np.asarray(t["language"].to_pylist(), dtype=object)
    n_in = sum(part.num_rows for part in p.documents.partitions)
    dropped = {r: int(dedup_reasons[r]) for r in DEDUP_REASONS}
    dropped |= {r: int((reason == r).sum()) for r in rules.reasons(params.rules)}
    kept = int((reason == "").sum())
    return QualitySummary.model_validate({
        "run": p.run, "fingerprint": p.fingerprint, "params": params, "stats_fingerprint": p.stats_fingerprint,
        "documents_in": n_in, "kept": kept, "dropped": n_in - kept, "dropped_by_reason": dropped,
        "counts_add_up": n_in == kept + sum(dropped.values()) and t.num_rows == n_in - sum(dedup_reasons.values()),
        "statistics_computed": work["computed"], "statistics_reused": work["reused"],
        "rules": [_drops(r, t, reason, source, texts, params.examples) for r in rules.reasons(params.rules)],
        "by_source": {s: {"documents": int((source == s).sum()), "kept": int(((source == s) & (reason == "")).sum())}
                      for s in sorted(set(source.tolist()))},
        "languages": _top(language.tolist(), TOP_LANGUAGES),
        "languages_by_source": {s: _top(language[source == s].tolist(), 5) for s in sorted(set(source.tolist()))},
        "histograms": {c: _histogram(t[c].to_numpy()) for c in [*QUALITY_STATS, "language_score"]},
        "seconds": round(seconds, 2), "versions": versions, "attributes": p.out,
    })  # fmt: skip


def _drops(name: str, t: pa.Table, reason: np.ndarray, source: np.ndarray, texts: dict[str, str], n: int) -> dict:
    rows = np.flatnonzero(reason == name)
    ids = t["doc_id"].take(pa.array(rows)).to_pylist()
    examples = [{"doc_id": i, "source": str(source[r]), "excerpt": texts[i][:EXCERPT]}
                for i, r in zip(ids, rows, strict=True) if i in texts][:n]  # fmt: skip
    return {"reason": name, "documents": len(rows), "words": int(t["words"].to_numpy()[rows].sum()),
            "bytes": int(t["n_bytes"].to_numpy()[rows].sum()), "by_source": dict(Counter(source[rows].tolist())),
            "examples": examples}  # fmt: skip


def _top(values: list[str], n: int) -> dict[str, int]:
    counts = Counter(values)
    top = dict(counts.most_common(n))
    rest = sum(counts.values()) - sum(top.values())
    return top | ({"other": rest} if rest else {})


def _histogram(x: np.ndarray) -> dict:
    """Counts over BINS bins from the least value to the 99.5th percentile (the last bin takes the rest)."""
    x = x.astype(np.float64)
    if not len(x):
        return {"edges": [0.0, 1.0], "counts": [0]}
    lo, hi = float(x.min()), float(np.percentile(x, 99.5))
    hi = hi if hi > lo else lo + 1.0
    counts, edges = np.histogram(np.clip(x, lo, hi), bins=BINS, range=(lo, hi))
    return {"edges": [round(float(e), 6) for e in edges], "counts": counts.tolist()}


BY_SKILL = (
    "words",
    "mean_word_length",
    "alpha_words",
    "stop_words",
    "dup_line_frac",
    "top_2_gram",
    "fw_line_punct",
    "fw_short_lines",
    "c4_sentences",
    "language_score",
)


def by_skill(skill: np.ndarray, t: pa.Table) -> tuple[list[str], list[list]]:
    """(header, rows): per skill, its documents, the mean of each BY_SKILL statistic and its three commonest
    languages (`t`: those statistics and `language` of the skills' documents, in `skill`'s order)."""
    rows = []
    lang = np.asarray(t["language"].to_pylist(), dtype=object)
    for k in np.unique(skill):
        m = skill == k
        means = [round(float(t[c].to_numpy()[m].mean()), 3) for c in BY_SKILL]
        langs = ", ".join(f"{a} {b}" for a, b in Counter(lang[m].tolist()).most_common(3))
        rows.append([int(k), int(m.sum()), *means, langs])
    return ["skill", "documents", *BY_SKILL, "languages"], rows


def thresholds(params: QualityParams) -> dict[str, list[tuple[float, bool]]]:
    """statistic -> (threshold, active) of every check over it: the rules' values (active), else the presets'
    defaults (drawn grey)."""
    active = {r.preset: r for r in params.rules}
    out: dict[str, list[tuple[float, bool]]] = {}
    for preset, checks in QUALITY_PRESETS.items():
        rule = active.get(preset) or QualityRule(preset=preset, languages=("en",) if preset == "lang" else ())
        for _, param, column, op, _, _, _ in checks:
            if op in ("<", ">", "lang") and param:
                out.setdefault(column, []).append((rule.value(param), preset in active))
    return out


def figure(s: QualitySummary) -> bytes:
    """PNG: documents dropped per check, by source (dedup's reasons included)."""
    plt = plots.pyplot()
    reasons = [r for r in s.rules if r.documents]
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.35 * max(len(reasons) + 2, 3)))
    labels = ["kept", *(r for r in ("exact_duplicate", "near_duplicate")), *(r.reason for r in reasons)]
    sources = sorted(s.by_source)
    colours = plt.get_cmap("tab10")
    left = np.zeros(len(labels))
    for i, src in enumerate(sources):
        row = [s.by_source[src]["kept"], 0, 0, *(r.by_source.get(src, 0) for r in reasons)]
        ax.barh(labels[::-1], row[::-1], left=left[::-1], color=colours(i % 10), label=src)
        left += row
    dedup = [0, s.dropped_by_reason["exact_duplicate"], s.dropped_by_reason["near_duplicate"], *[0] * len(reasons)]
    ax.barh(labels[::-1], dedup[::-1], left=left[::-1], color="#999999", label="(dedup)")
    ax.set_xlabel("documents")
    ax.set_title(f"{s.documents_in:,} documents: {s.kept:,} kept; the first check each dropped one failed")
    ax.legend(fontsize=7, ncol=4, loc="lower right")
    return plots.png(fig)


def stats_figure(s: QualitySummary) -> bytes:
    """PNG: the distribution of every statistic over dedup's kept documents, thresholds marked (red: a rule in
    force; grey: a preset's default)."""
    plt = plots.pyplot()
    marks = thresholds(s.params)
    names = list(s.histograms)
    cols = 6
    n_rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(n_rows, cols, figsize=(18, 2.2 * n_rows))
    for ax, name in zip(axes.ravel(), names, strict=False):
        h = s.histograms[name]
        ax.stairs(h.counts, h.edges, fill=True, color="#4c72b0")
        for value, active in marks.get(name, []):
            if h.edges[0] <= value <= h.edges[-1]:
                ax.axvline(value, color="#c44e52" if active else "#888888", ls="-" if active else "--", lw=1.2)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.set_axis_off()
    return plots.png(fig)
