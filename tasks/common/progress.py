"""Progress of long tasks as small JSON files, readable by any process that sees the run directory.

Works the same for threads, local Dask processes and a remote cluster on shared storage: a task
writes `{done, total, unit, label, t}` at most once per `every` seconds; the CLI sums them into a bar.
"""

from __future__ import annotations

import time

from tasks.common import io


class ProgressFile:
    def __init__(self, uri: str, total: int, label: str, unit: str = "B", every: float = 1.0):
        self.uri, self.total, self.label, self.unit, self.every = uri, total, label, unit, every
        self._last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= self.every:
            self._last = now
            record = {"done": done, "total": self.total, "unit": self.unit, "label": self.label, "t": time.time()}
            io.write_json(self.uri, record)


def read_all(pattern: str) -> list[dict]:
    """Every progress record matching a glob; files vanishing mid-read are skipped."""
    out = []
    for path in io.glob(pattern):
        try:
            out.append(io.read_json(path))
        except (OSError, ValueError):
            continue
    return out
