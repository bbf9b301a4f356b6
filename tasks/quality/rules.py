"""Rules over the quality statistics: which documents a list of `QualityRule`s drops, and why. Pure and
vectorised: columns in, a keep mask and a reason per document out.

Checks run in the rules' order, each preset's in DataTrove's order; a document's reason is the first check it
fails, named `<preset>/<DataTrove's reason>` (`gopher_quality/gopher_short_doc`, `c4/curly_bracket`,
`lang/language`). A rule with sources applies only to documents of those sources.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from schemas.config import QUALITY_PRESETS, QualityRule
from schemas.tables import QUALITY_STATS


def columns(t: pa.Table) -> dict[str, np.ndarray]:
    """The statistics of a quality table (QUALITY_STATS or QUALITY rows with statistics), and the language columns
    where it has them, as the numpy columns the rules compare."""
    names = [*QUALITY_STATS, *(c for c in ("language", "language_score") if c in t.column_names)]
    return {c: t[c].to_numpy(zero_copy_only=False) for c in names}


def checks(rule: QualityRule) -> list[tuple[str, str, str, float]]:
    """(reason, statistic column, operator, threshold) of each check of `rule`, in order; switched-off C4 checks
    are left out."""
    out = []
    for reason, param, column, op, default, _, _ in QUALITY_PRESETS[rule.preset]:
        value = rule.value(param) if param else default
        if op == "first" and not value:
            continue
        out.append((f"{rule.preset}/{reason}", column, op, value))
    return out


def fails(rule: QualityRule, stats: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """(reason, mask of the documents failing that check) for each check of `rule`, in order."""
    out = []
    listed = checks(rule)
    on = {c[1] for c in listed}
    for reason, column, op, value in listed:
        x = stats[column]
        if op == "<":
            mask = x < value
        elif op == ">":
            mask = x > value
        elif column == "c4_lorem_line" and "c4_curly_line" in on:  # C4 stops at the first line with either:
            curly = stats["c4_curly_line"]  # lorem ipsum wins when it comes first (or in the same line)
            mask = (x >= 0) & ((curly < 0) | (x <= curly))
        elif op == "first":
            mask = x >= 0
        else:  # lang: the top language is a listed one, scoring above the threshold
            mask = ~(np.isin(stats["language"], list(rule.languages)) & (x > value))
        out.append((reason, np.asarray(mask, bool)))
    return out


def decide(rules: tuple[QualityRule, ...], stats: dict[str, np.ndarray], sources: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(keep, reason) per document: reason '' where kept, else the first failed check."""
    n = len(sources)
    reason = np.full(n, "", dtype=object)
    open_ = np.ones(n, bool)  # not yet dropped
    for rule in rules:
        applies = np.isin(sources, list(rule.sources)) if rule.sources else np.ones(n, bool)
        for name, mask in fails(rule, stats):
            hit = open_ & applies & mask
            reason[hit] = name
            open_ &= ~hit
    return open_, reason


SCORED = ("gopher_repetition", "gopher_quality", "c4", "fineweb")


def score(stats: dict[str, np.ndarray]) -> np.ndarray:
    """Each document's quality score in [0, 1]: the share of the default Gopher, C4 and FineWeb checks it passes
    (CLIMB prunes clusters by a quality score; this is one that needs no classifier)."""
    failed = [mask for preset in SCORED for _, mask in fails(QualityRule(preset=preset), stats)]
    n = len(next(iter(stats.values())))
    return 1.0 - np.mean(failed, axis=0) if failed else np.ones(n)


def reasons(rules: tuple[QualityRule, ...]) -> list[str]:
    """Every reason the rules can give, in check order."""
    return [c[0] for rule in rules for c in checks(rule)]
