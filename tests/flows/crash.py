"""`python -m tests.flows.crash STAGE N SRC RUN LOG`: the tiny curate run of tests/flows/pipeline.py, killed
with SIGKILL (kill -9: no cleanup, no exception handler) right after the N-th partition of STAGE (dedup:
signature partitions; emit: skills) is committed. What it computes is appended to LOG: `dedup <first pos>` per
signature partition, `emit <skill>` per skill written. The stage flows' Dask cluster is one thread, so the
patched functions are the ones that run and partitions commit one at a time; the Prefect API is the caller's,
given as CRASH_API_URL (in the environment PREFECT_API_URL would make the cluster processes)."""

import os
import signal
import sys

from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows.curate import curate
from schemas.config import IngestParams
from tasks.dedup import stage as dedup_stage
from tasks.emit import stage as emit_stage
from tests.flows.pipeline import PARAMS as TINY

PARAMS = TINY.model_copy(update={"ingest": IngestParams(partition_bytes=4096)})  # several partitions to kill between
KILL_AFTER = {"dedup": (dedup_stage, "signature_partition"), "emit": (emit_stage, "emit_skill")}


def computed(log: str) -> None:
    """Append what the run computes (not what it reads back) to `log`."""

    def wrap(module, name, what):
        inner = getattr(module, name)

        def wrapped(*args, **kwargs):
            with open(log, "a") as f:
                f.write(f"{what(*args)}\n")
            return inner(*args, **kwargs)

        setattr(module, name, wrapped)

    wrap(dedup_stage, "signature_table", lambda doc_ids, texts, first_pos, params: f"dedup {first_pos}")
    wrap(emit_stage, "_write_skill", lambda p, skill, params: f"emit {skill}")


def kill_after(stage: str, n: int) -> None:
    module, name = KILL_AFTER[stage]
    inner, done = getattr(module, name), []

    def wrapped(*args, **kwargs):
        out = inner(*args, **kwargs)
        done.append(1)
        if len(done) == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(module, name, wrapped)


if __name__ == "__main__":
    stage, n, src, run, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    computed(log)
    kill_after(stage, n)
    with temporary_settings({PREFECT_API_URL: os.environ["CRASH_API_URL"]}):
        curate.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))([src], run, PARAMS, workers=1)
    sys.exit(3)  # not reached when the kill happened
