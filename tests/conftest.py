"""Shared fixtures: tiny inputs written into tmp_path, and one Prefect test server per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillmix import env

env.configure()

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


def write_jsonl(path: Path, records: list[dict], extra_lines: list[bytes] = ()) -> Path:
    lines = [json.dumps(r).encode() for r in records] + list(extra_lines)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """12 good records, then one bad record per reason and a blank line."""
    return write_jsonl(tmp_path / "planted.jsonl", GOOD, [line for line, _ in BAD_LINES] + [b""])


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield
