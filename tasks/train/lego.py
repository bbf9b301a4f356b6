"""LEGO synthetic skills (Skill-It, ../shared/ALGORITHMS.md 1(c')): chains of boolean assignments; skill i is
querying the variable at depth i. Pure: seeds in, strings or token arrays out.

    Input: b = not y , r = val 1 , m = val b , q = val m , y = not r . Output: b = val 1
"""

from __future__ import annotations

import random
import string

import numpy as np

from tasks.train import loop

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


def sample(rng: random.Random, k: int, skill: int, graph: str = "chain", fixed_names: bool = False
           ) -> tuple[str, str, int]:  # fmt: skip
    """(prompt, answer text, answer bit) of one sample querying variable `skill`. Variable names are a fresh
    random choice of letters per sample (Skill-It), or with `fixed_names` always a, b, c... in graph order, so
    no name has to be bound to its clause (a variant small models learn from scratch; see bench/lego.py)."""
    if not 0 <= skill < k:
        raise ValueError(f"skill must be in [0, {k}), got {skill}")
    names = list(string.ascii_lowercase[:k]) if fixed_names else rng.sample(string.ascii_lowercase, k)
    b = [rng.randint(0, 1) for _ in range(k)]  # each variable's value, i.i.d. uniform
    par = parents(k, graph)

    def clause(i: int) -> str:
        if par[i] is None:
            return f"{names[i]} = val {b[i]}"
        return f"{names[i]} = {'val' if b[i] == b[par[i]] else 'not'} {names[par[i]]}"

    clauses = [clause(i) for i in range(k)]
    rng.shuffle(clauses)
    return f"Input: {' , '.join(clauses)} . Output: {names[skill]} = val", f" {b[skill]}", b[skill]


def dataset(n_per_skill: dict[int, int], k: int, seed: int, graph: str = "chain", fixed_names: bool = False,
            exclude: set[tuple[int, str]] = frozenset()) -> list[tuple[int, str, str]]:  # fmt: skip
    """(skill, prompt, answer) rows, n per skill, each (skill, prompt) at most once and none in `exclude` (a
    validation set), in a seeded shuffled order."""
    rng = random.Random(seed)
    seen: set[tuple[int, str]] = set(exclude)
    rows: list[tuple[int, str, str]] = []
    for skill, n in sorted(n_per_skill.items()):
        tries = got = 0
        while got < n:
            prompt, answer, _ = sample(rng, k, skill, graph, fixed_names)
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


# --- as training data (word-level vocabulary, one token per word) ---------------------------------------

VOCAB = ("<pad>", "Input:", "Output:", "=", "val", "not", ",", ".", "0", "1", *string.ascii_lowercase)
PAD = 0
_IDS = {w: i for i, w in enumerate(VOCAB)}


def encode(prompt: str, answer: str) -> list[int]:
    """Token ids of prompt + answer; the answer is the last token."""
    return [_IDS[w] for w in f"{prompt}{answer}".split()]


def rows(samples: list[tuple[int, str, str]], length: int, ignore: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (n, length), targets (n, length - 1)) of padded samples; only the answer token is a target (every
    other target is `ignore`): the loss Skill-It's evaluator scores, used here for training too."""
    x = np.full((len(samples), length), PAD, np.int16)
    y = np.full((len(samples), length - 1), ignore, np.int16)
    for i, (_, prompt, answer) in enumerate(samples):
        ids = encode(prompt, answer)
        if len(ids) > length:
            raise ValueError(f"a sample has {len(ids)} tokens; rows hold {length}")
        x[i, : len(ids)] = ids
        y[i, len(ids) - 2] = ids[-1]  # the position after "val" predicts the answer
    return x, y


def length(k: int) -> int:
    """Tokens of a sample with k variables: Input: + k clauses of 4 + (k - 1) commas + . Output: x = val b."""
    return 1 + 4 * k + (k - 1) + 2 + 4


def skill_data(k: int, n_train: int, seed: int, graph: str = "chain", n_val: int = 100, val_seed: int = 42,
               fixed_names: bool = False) -> list[loop.SkillData]:  # fmt: skip
    """Per-skill training rows (`n_train` each, from `seed`) and validation rows (`n_val` each, from `val_seed`,
    Skill-It's 100 with seed 42; never among the training rows), for the training loop; the length is
    `length(k)`."""
    n = length(k)
    val = dataset({s: n_val for s in range(k)}, k, val_seed, graph, fixed_names)
    train = dataset({s: n_train for s in range(k)}, k, seed, graph, fixed_names, exclude={r[:2] for r in val})
    out = []
    for s in range(k):
        x, y = rows([r for r in train if r[0] == s], n, loop.IGNORE)
        vx, vy = rows([r for r in val if r[0] == s], n, loop.IGNORE)
        out.append(loop.SkillData(train=x, val=vx, val_targets=vy, train_targets=y))
    return out


def paper_graph(k: int) -> np.ndarray:
    """Skill-It's LEGO graph (scripts/lego/pt/skillit.sh, k = 5) cut to k skills: the diagonal, and skill 1 (one
    resolution step) an edge to every other skill up to the fourth. Off-diagonal 1s become 0.5 when loaded."""
    paper = np.array([[1, 0, 0, 0, 0], [1, 1, 1, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]], float)
    if k <= 5:
        return paper[:k, :k].copy()
    return np.pad(paper, (0, k - 5)) + np.diag([0.0] * 5 + [1.0] * (k - 5))
