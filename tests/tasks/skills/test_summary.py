"""The skills stage's summary pieces: skills.json entries, labels, the Prefect markdown, the figures."""

import numpy as np

from tasks.skills import summary


def test_entries_have_shares_that_sum_to_one_and_labels_fall_back_to_the_skill_number():
    entries = summary.skill_entries(
        ["a, b", "skill 1"],
        {0: ["a", "b"]},
        np.array([3, 1]),
        np.array([30, 5]),
        {0: [{"doc_id": "d", "text": "x | y"}]},
        np.array([[0.6, 0.8], [1.0, 0.0]]),
    )
    assert [e.share for e in entries] == [0.75, 0.25] and entries[1].terms == [] and entries[0].word_pieces == 30
    assert entries[0].centroid == [0.6, 0.8] and summary.label([], "skill 1") == "skill 1"
    assert summary.label(["a", "b", "c", "d", "e"], "x") == "a, b, c, d"
    assert summary.sizes_figure(entries)[:4] == b"\x89PNG"
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [0.5, 2.0]])
    assert summary.map_figure(xy, np.array([0, 0, 1, 0]), ["a, b", "skill 1"], "t")[:4] == b"\x89PNG"
    png = summary.agreement_figure({"0": {"web": 3}, "1": {"code": 1}}, "source", 1.0, 1.0)
    assert png[:4] == b"\x89PNG"
