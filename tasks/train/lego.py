"""LEGO synthetic skills (Skill-It, ../shared/ALGORITHMS.md 1(c')): chains of boolean assignments; skill i is
querying the variable at depth i. Pure: seeds in, strings out.

    Input: b = not y , r = val 1 , m = val b , q = val m , y = not r . Output: b = val 1
"""

from __future__ import annotations

import random
import string

GRAPHS = ("chain", "tree", "disconnected")


def parents(k: int, graph: str = "chain") -> list[int | None]:
    """Parent of each variable index (None for a root)."""
    if graph == "chain":
        return [None, *range(k - 1)]
    if graph == "tree":  # full binary tree: node i's parent is (i - 1) // 2
        return [None, *((i - 1) // 2 for i in range(1, k))]
    if graph == "disconnected":  # two chains: 0 -> 1 -> ... and h -> h+1 -> ...
        h = (k + 1) // 2
        return [None if i in (0, h) else i - 1 for i in range(k)]
    raise ValueError(f"graph must be one of {GRAPHS}, got {graph!r}")


def depth(k: int, graph: str = "chain") -> list[int]:
    """Resolution steps to each variable (0 for a root)."""
    par, out = parents(k, graph), []
    for i in range(k):
        d, j = 0, i
        while par[j] is not None:
            d, j = d + 1, par[j]
        out.append(d)
    return out


def sample(rng: random.Random, k: int, skill: int, graph: str = "chain") -> tuple[str, str, int]:
    """(prompt, answer text, answer bit) of one sample querying variable `skill`."""
    if not 0 <= skill < k:
        raise ValueError(f"skill must be in [0, {k}), got {skill}")
    names = rng.sample(string.ascii_lowercase, k)
    b = [rng.randint(0, 1) for _ in range(k)]  # each variable's value, i.i.d. uniform
    par = parents(k, graph)

    def clause(i: int) -> str:
        if par[i] is None:
            return f"{names[i]} = val {b[i]}"
        return f"{names[i]} = {'val' if b[i] == b[par[i]] else 'not'} {names[par[i]]}"

    clauses = [clause(i) for i in range(k)]
    rng.shuffle(clauses)
    return f"Input: {' , '.join(clauses)} . Output: {names[skill]} = val", f" {b[skill]}", b[skill]


def dataset(n_per_skill: dict[int, int], k: int, seed: int, graph: str = "chain") -> list[tuple[int, str, str]]:
    """(skill, prompt, answer) rows, n per skill, each (skill, prompt) at most once, in a seeded shuffled order."""
    rng = random.Random(seed)
    seen: set[tuple[int, str]] = set()
    rows: list[tuple[int, str, str]] = []
    for skill, n in sorted(n_per_skill.items()):
        tries = got = 0
        while got < n:
            prompt, answer, _ = sample(rng, k, skill, graph)
            tries += 1
            if (skill, prompt) not in seen:
                seen.add((skill, prompt))
                rows.append((skill, prompt, answer))
                got += 1
            elif tries > 50 * n + 1000:
                raise ValueError(f"cannot draw {n} distinct samples of skill {skill} with k = {k}")
    rng.shuffle(rows)
    return rows


def resolve(prompt: str) -> dict[str, int]:
    """Every variable's value, worked out from a prompt's clauses (the check that samples are consistent)."""
    body = prompt.split("Input: ", 1)[1].split(" . Output:", 1)[0]
    rules = [c.split(" = ") for c in body.split(" , ")]
    values: dict[str, int] = {}
    while len(values) < len(rules):
        for var, rhs in rules:
            op, arg = rhs.split(" ")
            if arg in "01":
                values[var] = int(arg)
            elif arg in values:
                values[var] = values[arg] if op == "val" else 1 - values[arg]
    return values
