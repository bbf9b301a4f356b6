"""Crash recovery: a curate run killed with SIGKILL in the middle of dedup, then of emit, resumes from what it
had committed, recomputes a truncated intermediate file, and ends in a manifest byte-identical to an
uninterrupted run's."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import ThreadPoolTaskRunner

from flows.curate import curate
from tests.conftest import write_jsonl
from tests.flows import crash
from tests.flows.pipeline import corpus

pytestmark = [pytest.mark.usefixtures("prefect_harness"), pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
THREADS = ThreadPoolTaskRunner(max_workers=2)


def _killed(stage: str, n: int, src: Path, run: Path, log: Path) -> list[str]:
    """What a curate run killed after the n-th committed partition of `stage` computed."""
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"CRASH_API_URL": PREFECT_API_URL.value()}
    args = [sys.executable, "-m", "tests.flows.crash", stage, str(n), str(src), str(run), str(log)]
    p = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == -signal.SIGKILL, p.stderr[-3000:]
    return log.read_text().split("\n")[:-1]


def test_a_run_killed_in_dedup_then_in_emit_resumes_to_the_uninterrupted_manifest(tmp_path, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", corpus(30, seed=11))
    whole = curate.with_options(task_runner=THREADS)([str(src)], str(tmp_path / "whole"), crash.PARAMS)
    run, log = tmp_path / "killed", tmp_path / "computed.log"
    n_parts = len(whole.manifest.mixture.tokens.skills.quality.documents.documents.partitions)

    first = _killed("dedup", 2, src, run, log)  # after the 2nd of the signature partitions
    committed = sorted(p for p in run.glob("work/dedup/*/signatures/part-*") if (p / "_SUCCESS").exists())
    assert len(first) == len(committed) == 2 < n_parts and not list(run.glob("attributes/dedup/*/_SUCCESS"))
    kept, damaged = (pq.read_table(p / "signatures.parquet")["pos"][0].as_py() for p in committed)
    part = committed[1] / "signatures.parquet"
    part.write_bytes(part.read_bytes()[:-100])  # truncated after its commit

    second = _killed("emit", 2, src, run, log)  # dedup resumes and finishes; emit is killed after its 2nd skill
    redone = {int(x.split()[1]) for x in second if x.startswith("dedup")}
    assert len(redone) == n_parts - 1 and kept not in redone and damaged in redone
    out = next(run.glob("emit/*"))
    skills = sorted(d for d in out.glob("skill-*") if (d / "_SUCCESS").exists())
    assert [x for x in second if x.startswith("emit")] == ["emit 0", "emit 1"] and len(skills) == 2
    assert not (out / "manifest.json").exists()
    shard = sorted(skills[1].rglob("*.bin"))[0]
    shard.write_bytes(shard.read_bytes()[:-2])  # skill 1 damaged, skill 0 intact

    written = []
    inner = crash.emit_stage._write_skill
    monkeypatch.setattr(crash.emit_stage, "_write_skill", lambda p, k, params: written.append(k) or inner(p, k, params))
    again = curate.with_options(task_runner=THREADS)([str(src)], str(run), crash.PARAMS)
    assert sorted(written) == [1, 2]  # skill 0 read back; 1 (truncated) and 2 (never written) written now
    assert Path(again.manifest.manifest).read_bytes() == Path(whole.manifest.manifest).read_bytes()
    assert again.verified.model_dump(exclude={"manifest"}) == whole.verified.model_dump(exclude={"manifest"})
