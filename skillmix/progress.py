"""Rich progress bars fed by the progress files that tasks write (tasks.common.progress)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tasks.common.progress import read_all


def _amount(done: float, total: float, unit: str) -> str:
    if unit == "B":
        return f"{done / 1e6:,.1f}/{total / 1e6:,.1f} MB"
    return f"{done:,.0f}/{total:,.0f} {unit}"


@contextmanager
def watch(console: Console, stages: list[tuple[str, str, str]], every: float = 0.5) -> Iterator[None]:
    """One bar per (name, glob of progress files, unit: 'B' or a word) that reports after entering, each
    the sum of its files; a curate run shows its stages one after another."""
    start = time.time()
    stop = threading.Event()
    columns = [SpinnerColumn(), TextColumn("{task.description:>8}"), BarColumn(), TextColumn("{task.fields[amount]}"),
               TimeElapsedColumn(), TimeRemainingColumn()]  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def poll() -> None:
            while not stop.wait(every):
                for name, pattern, unit in stages:
                    recs = [r for r in read_all(pattern) if r.get("t", 0) >= start]
                    if not recs:
                        continue
                    if name not in tasks:
                        tasks[name] = bar.add_task(name, total=None, amount="")
                    done, total = sum(r["done"] for r in recs), sum(r["total"] for r in recs)
                    bar.update(tasks[name], completed=done, total=total or None, amount=_amount(done, total, unit))

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
