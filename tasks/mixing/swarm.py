"""Swarm CSVs as RegMix and Olmix publish them: a ratios file (the run id, then one share per domain) and a metrics
file (the run id, then one value per metric), joined on the id. Every check runs before any fitting and names the
file, the line and the column; shares are renormalised only after they pass.
"""

from __future__ import annotations

import csv
import io as stdio
import math
import re
from dataclasses import dataclass

import numpy as np

from tasks.common import io
from tasks.common.errors import InputError

ID_COLUMNS = ("run", "run_id", "id", "index")


@dataclass(frozen=True)
class Table:
    path: str
    id_column: str
    ids: list[str]
    columns: list[str]
    values: np.ndarray  # (runs, columns)
    lines: dict[str, int]  # run id -> its line in the file


def parse(path: str, text: str, kind: str, sum_tol: float = 1e-3) -> Table:
    """A ratios or metrics CSV's rows, refused with file:line and column on the first bad value."""
    rows = list(csv.reader(stdio.StringIO(text)))
    if not rows or not any(c.strip() for c in rows[0]):
        raise InputError(f"{path}: empty file; a header line with the run id column comes first")
    header = [c.strip() for c in rows[0]]
    if header[0] not in ID_COLUMNS:
        raise InputError(f"{path}: line 1, column 1: the first column must be the run id, named one of "
                         f"{', '.join(ID_COLUMNS)}; got {header[0]!r}")  # fmt: skip
    if len(header) < 2 or len(set(header)) != len(header):
        what = "domain" if kind == "ratios" else "metric"
        raise InputError(f"{path}: line 1: needs the id column and at least one {what} column, each named once")
    ids, values, lines = [], [], {}
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{path}: line {n}: {len(row)} fields; the header has {len(header)}")
        rid = row[0].strip()
        if not rid:
            raise InputError(f"{path}: line {n}, column {header[0]}: empty run id")
        if rid in lines:
            raise InputError(f"{path}: line {n}, column {header[0]}: run id {rid!r} repeats line {lines[rid]}")
        lines[rid] = n
        ids.append(rid)
        values.append([_number(path, n, col, raw, kind) for col, raw in zip(header[1:], row[1:], strict=True)])
    if not ids:
        raise InputError(f"{path}: no runs (only a header)")
    X = np.array(values, np.float64)
    if kind == "ratios":
        X = _shares(path, header, ids, lines, X, sum_tol)
    return Table(path, header[0], ids, header[1:], X, lines)


def _number(path: str, n: int, col: str, raw: str, kind: str) -> float:
    raw = raw.strip()
    if not raw:
        raise InputError(f"{path}: line {n}, column {col}: empty value")
    try:
        v = float(raw)
    except ValueError:
        raise InputError(f"{path}: line {n}, column {col}: {raw!r} is not a number") from None
    if not math.isfinite(v):
        raise InputError(f"{path}: line {n}, column {col}: {raw} (every value must be finite)")
    if kind == "ratios" and v < 0:
        raise InputError(f"{path}: line {n}, column {col}: negative share {raw}")
    return v


def _shares(path: str, header: list[str], ids: list[str], lines: dict, X: np.ndarray, tol: float) -> np.ndarray:
    sums = X.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1) > tol)
    if len(bad):
        i = int(bad[0])
        raise InputError(f"{path}: line {lines[ids[i]]}, columns {header[1]}..{header[-1]}: shares sum to "
                         f"{sums[i]:.6g}, not 1 within {tol:g} ({len(bad)} of {len(ids)} rows); shares rounded "
                         "to a few decimals can miss by more: pass --sum-tol to accept them (rows are "
                         "renormalised)")  # fmt: skip
    off = np.abs(sums - 1) > 1e-12  # rows that sum to 1 up to rounding are kept as written: a swarm reads back exactly
    return np.where(off[:, None], X / sums[:, None], X)


def read(path: str, kind: str, sum_tol: float = 1e-3) -> Table:
    try:
        text = io.read_bytes(path).decode()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason})") from None
    return parse(path, text, kind, sum_tol)


def join(ratios: Table, metrics: Table) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(ids, X, Y) in the ratios file's order; a run in one file and not the other is refused by name and line."""
    for a, b in ((metrics, ratios), (ratios, metrics)):
        missing = [r for r in a.ids if r not in b.lines]
        if missing:
            raise InputError(f"{a.path}: line {a.lines[missing[0]]}: run {missing[0]!r} has no row in {b.path} "
                             f"({len(missing)} such runs)")  # fmt: skip
    Y = metrics.values[[metrics.ids.index(r) for r in ratios.ids]]
    return ratios.ids, ratios.values, Y


def own_domains(domains: list[str], metrics: list[str]) -> list[int | None]:
    """Each metric's own domain: the longest domain name (less the prefix all domains share) inside the metric's
    name as a whole word (not inside a longer run of letters and digits), or None. RegMix:
    `metric/the_pile_pile_cc_val_loss` -> `train_the_pile_pile_cc`."""
    prefix = _common_prefix(domains) if len(domains) > 1 else ""
    short = [d[len(prefix) :] or d for d in domains]
    out: list[int | None] = []
    for name in metrics:
        hits = [
            j for j, d in enumerate(short) if d and re.search(rf"(?<![A-Za-z0-9]){re.escape(d)}(?![A-Za-z0-9])", name)
        ]
        out.append(max(hits, key=lambda j: len(short[j])) if hits else None)
    return out


def _common_prefix(names: list[str]) -> str:
    """The prefix every name shares, cut after its last separator (skill_1, skill_10 share `skill_`)."""
    p = names[0]
    for n in names[1:]:
        while not n.startswith(p):
            p = p[:-1]
    cut = [i for i, c in enumerate(p) if not c.isalnum()]
    return p[: cut[-1] + 1] if cut else ""


def to_csv(id_column: str, ids: list[str], columns: list[str], values: np.ndarray) -> bytes:
    """A swarm CSV (values written with repr, so they read back exactly)."""
    out = stdio.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([id_column, *columns])
    for rid, row in zip(ids, np.asarray(values, np.float64), strict=True):
        w.writerow([rid, *(repr(float(v)) for v in row)])
    return out.getvalue().encode()
