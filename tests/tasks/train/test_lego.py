import random

import pytest

from tasks.train import lego


def test_samples_are_consistent_and_the_answer_is_the_queried_variable():
    rng = random.Random(0)
    for skill in range(5):
        for _ in range(50):
            prompt, answer, bit = lego.sample(rng, 5, skill)
            var = prompt.rsplit("Output: ", 1)[1].split(" = ")[0]
            assert lego.resolve(prompt)[var] == bit and answer == f" {bit}"
            assert prompt.count(" , ") == 4 and prompt.startswith("Input: ")


def test_skill_i_needs_i_resolution_steps_on_a_chain():
    assert lego.depth(5) == [0, 1, 2, 3, 4]
    assert lego.depth(7, "tree") == [0, 1, 1, 2, 2, 2, 2]
    assert lego.parents(6, "disconnected") == [None, 0, 1, None, 3, 4]
    with pytest.raises(ValueError, match="graph must be one of"):
        lego.parents(3, "ring")


def test_dataset_has_the_requested_counts_no_duplicates_and_a_fixed_seed():
    rows = lego.dataset({0: 20, 3: 60}, k=5, seed=42)
    assert sum(r[0] == 0 for r in rows) == 20 and sum(r[0] == 3 for r in rows) == 60
    assert len({(s, p) for s, p, _ in rows}) == len(rows)
    assert lego.dataset({0: 20, 3: 60}, k=5, seed=42) == rows and lego.dataset({0: 20, 3: 60}, k=5, seed=1) != rows
    with pytest.raises(ValueError, match="cannot draw 100 distinct samples of skill 0 with k = 1"):
        lego.dataset({0: 100}, k=1, seed=0)  # 26 names x 2 values: only 52 distinct prompts


def test_fixed_names_follow_the_graph_and_validation_never_appears_in_training():
    prompt, _, bit = lego.sample(random.Random(3), 5, 4, fixed_names=True)
    clauses = set(prompt.split("Input: ")[1].split(" . Output:")[0].split(" , "))
    assert {c.split(" = ")[0] for c in clauses} == set("abcde") and prompt.endswith("Output: e = val")
    assert any(c in clauses for c in ("e = val d", "e = not d")) and lego.resolve(prompt)["e"] == bit
    val = {r[:2] for r in lego.dataset({s: 100 for s in range(5)}, 5, seed=42, fixed_names=True)}
    train = lego.dataset({s: 2000 for s in range(5)}, 5, seed=0, fixed_names=True, exclude=val)
    assert len(train) == 10_000 and not val & {r[:2] for r in train}  # 2^5 x 5! = 3,840 prompts per skill
