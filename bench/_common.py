"""Shared benchmark helpers: run a command under /usr/bin/time -v and sample its process tree's RSS."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path


def tree_rss_mib(pid: int) -> float:
    """Sum of VmRSS over `pid` and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
            for t in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (t / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total / 1024


def measured(cmd: list[str]) -> dict:
    """Run `cmd` under /usr/bin/time -v: wall seconds, largest process's peak RSS, summed tree RSS (sampled)."""
    start = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mib(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise RuntimeError(err[-3000:])
    largest = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    return {"seconds": time.perf_counter() - start, "time_v_max_rss_mib": largest, "tree_rss_mib": peak[0]}
