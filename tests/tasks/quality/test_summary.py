"""The quality summary's pieces: thresholds to mark, histograms, per-skill means, the figures as PNG."""

import numpy as np
import pyarrow as pa

from schemas.config import QualityParams, QualityRule
from tasks.common import catalog
from tasks.quality import summary


def test_thresholds_mark_the_rules_in_force_and_the_defaults_otherwise():
    rule = QualityRule(preset="fineweb", thresholds={"line_punct_thr": 0.2})
    marks = summary.thresholds(QualityParams(rules=(rule,)))
    assert marks["fw_line_punct"] == [(0.2, True)]
    assert marks["dup_line_frac"] == [(0.3, False)]  # gopher_repetition's default, not in force
    assert marks["non_symbol_words"] == [(50, False), (100_000, False)]


def test_histogram_counts_every_value():
    h = summary._histogram(np.r_[np.zeros(50), np.arange(50.0), 1e9])
    assert sum(h["counts"]) == 101 and len(h["edges"]) == summary.BINS + 1


def test_by_skill_means_and_languages():
    t = pa.table({c: [1.0, 3.0, 10.0] for c in summary.BY_SKILL} | {"language": ["en", "en", "de"]})
    header, rows = summary.by_skill(np.array([0, 0, 1]), t)
    assert header[:2] == ["skill", "documents"] and rows[0][:3] == [0, 2, 2.0] and rows[1][-1] == "de 1"


def test_the_figures_are_pngs(staged):
    s = catalog.summary(staged.quality)
    assert summary.figure(s)[:4] == b"\x89PNG" and summary.stats_figure(s)[:4] == b"\x89PNG"
