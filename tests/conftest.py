"""Shared fixtures: tiny inputs written into tmp_path, and one Prefect test server per session."""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

import pytest

from skillmix import env

env.configure()
# Exported embedding models (OpenVINO, ONNX) go to a directory of this test session: the export path runs
# in every session, and tests never read or leave exports in the user's cache.
MODEL_CACHE = Path(tempfile.mkdtemp(prefix="skillmix-models-"))
os.environ["SKILLMIX_MODEL_CACHE"] = str(MODEL_CACHE)

# Configure Prefect's logging now, under pytest's session-long capture. Prefect does it lazily in the
# first flow run; inside a CliRunner.invoke its console handler would keep that invoke's stream, which
# closes afterwards, and every later Prefect log would fail ("I/O operation on closed file").
from prefect.logging.configuration import setup_logging  # noqa: E402

setup_logging()

GOOD = [{"id": f"g{i}", "text": f"document number {i} about topic {i % 3}", "source": "web", "url": f"u{i}"}
        for i in range(12)]  # fmt: skip

# one planted record per reject reason (duplicate_id: g3 again), in file order
BAD_LINES: list[tuple[bytes, str]] = [
    (b'{"id": "b1", "text": "unterminated', "malformed_json"),
    (b"[1, 2, 3]", "malformed_json"),
    (b'{"id": "b2", "text": "caf\xe9 latin-1"}', "invalid_utf8"),
    (b'{"id": "b3", "text": "lone \\ud83d surrogate"}', "invalid_utf8"),
    (b'{"id": "b4", "body": "text under another key"}', "missing_text"),
    (b'{"id": "b5", "text": null}', "missing_text"),
    (b'{"id": "b6", "text": 42}', "non_string_text"),
    (b'{"id": "b7", "text": " \\t\\u0000 \\n"}', "empty_text"),
    (b'{"id": "b8", "text": "' + b"x" * 3000 + b'"}', "too_large"),
    (b'{"id": ["b9"], "text": "list id"}', "invalid_id"),
    (b'{"id": "g3", "text": "reuses the id of good record 3"}', "duplicate_id"),
]
MAX_DOC_BYTES = 2000  # the too_large record is 3000 bytes


TOPICS = {
    "kitchen": ["flour", "butter", "oven", "dough", "sugar", "yeast", "bake", "simmer", "garlic", "onion", "sauce"],
    "space": ["planet", "orbit", "telescope", "galaxy", "comet", "nebula", "star", "asteroid", "moon", "rocket"],
    "code": ["function", "compiler", "variable", "python", "loop", "array", "pointer", "module", "debugger", "class"],
}


def corpus(n_per: int, seed: int, start: int = 0) -> list[dict]:
    """Documents on three topics, one source each; every text different enough to survive MinHash dedup."""
    rng = random.Random(seed)
    out = []
    for i in range(start, start + n_per):
        for source, words in TOPICS.items():
            text = " ".join(rng.choice(words) for _ in range(40)) + f" note {i} {source}"
            out.append({"id": f"{source}-{i}", "text": text, "source": source, "lang": "en" if i % 2 else "de"})
    return out


def write_jsonl(path: Path, records: list[dict], extra_lines: list[bytes] = ()) -> Path:
    lines = [json.dumps(r).encode() for r in records] + list(extra_lines)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def model_cache() -> Path:
    """The session's export cache (SKILLMIX_MODEL_CACHE)."""
    return MODEL_CACHE


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """12 good records, then one bad record per reason and a blank line."""
    return write_jsonl(tmp_path / "planted.jsonl", GOOD, [line for line, _ in BAD_LINES] + [b""])


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real `prefect server start` on 127.0.0.1 (its own PREFECT_HOME and SQLite database), for what the
    in-process test harness cannot do: work pools, workers, deployments, Dask workers in other processes.
    Yields the environment that reaches it; the server's process group is stopped by pid afterwards."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    home = tmp_path_factory.mktemp("prefect-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90"}  # fmt: skip
    prefect = str(Path(sys.executable).with_name("prefect"))
    log = open(home / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield {"url": url, "env": env | {"PREFECT_API_URL": url}, "prefect": prefect}
    finally:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if proc.poll() is None:
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    continue
        log.close()
