"""A rich progress bar fed by the progress files that tasks write (tasks.common.progress)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from tasks.common.progress import read_all


@contextmanager
def watch(console: Console, pattern: str, description: str, unit: str = "B", every: float = 0.5) -> Iterator[None]:
    """Show the summed progress of every file matching `pattern` written after entering (bytes or items)."""
    start = time.time()
    stop = threading.Event()
    amount = [DownloadColumn(), TransferSpeedColumn()] if unit == "B" else [MofNCompleteColumn(), TextColumn(unit)]
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), *amount,
               TimeElapsedColumn(), TimeRemainingColumn()]  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def poll() -> None:
            while not stop.wait(every):
                recs = [r for r in read_all(pattern) if r.get("t", 0) >= start]
                if recs:
                    total = sum(r["total"] for r in recs)
                    bar.update(task, completed=sum(r["done"] for r in recs), total=total or None)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
