"""Mixtures compared by proxy runs: means over seeds, paired differences against the baseline, wins."""

import numpy as np
import pytest

from tasks.proxies import compare


def test_paired_differences_and_wins_against_the_baseline():
    runs = [
        ("base", 0, np.array([2.0, 4.0])),
        ("base", 1, np.array([2.0, 2.0])),
        ("mine", 0, np.array([1.0, 3.0])),
        ("mine", 1, np.array([3.0, 3.0])),
        ("mine", 2, np.array([0.0, 0.0])),
    ]
    rows = compare.table(runs, "base")
    assert [r["mixture"] for r in rows] == ["base", "mine"] and "vs" not in rows[0]
    mine = rows[1]
    assert mine["mean"] == pytest.approx(5 / 3) and mine["per_seed"] == {0: 2.0, 1: 3.0, 2: 0.0}
    assert mine["paired_seeds"] == 2 and mine["mean_diff"] == pytest.approx(0.0) and mine["wins"] == 1
    assert mine["std"] == pytest.approx(np.std([2.0, 3.0, 0.0], ddof=1))
    assert compare.figure(runs, rows, ["s0", "s1"], "base")[:4] == b"\x89PNG"
    assert "vs" not in compare.table(runs, None)[1]
