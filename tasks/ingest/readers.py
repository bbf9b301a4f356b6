"""Per-format record streams: an open byte stream in, document rows and rejects out.

No file opening here (tasks.common.io does that); memory is bounded by one line (JSONL, capped at
RecordSpec.max_line_bytes), one record batch (Parquet) or one capped file (text).
Structural problems raise InputError naming the file; bad records are yielded as Rejects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow.parquet as pq

from tasks.common.errors import InputError
from tasks.ingest.records import (
    DocRow,
    RecordSpec,
    Reject,
    from_json_line,
    from_mapping,
    from_text_file,
    too_long_line,
)

EARLY_CHECK = 1000  # records after which a file whose every record lacks the text field stops the run


class Tally:
    """Counts one file's outcomes and stops early on a file-wide missing text field."""

    def __init__(self, spec: RecordSpec):
        self.spec = spec
        self.kept = 0
        self.kept_bytes = 0
        self.rejected: Counter[str] = Counter()
        self.blank_lines = 0
        self._first_missing: Reject | None = None

    @property
    def records(self) -> int:
        return self.kept + sum(self.rejected.values())

    def add(self, item: DocRow | Reject) -> None:
        if isinstance(item, Reject):
            self.rejected[item.reason] += 1
            if item.reason == "missing_text" and self._first_missing is None:
                self._first_missing = item
            if self.records == EARLY_CHECK:
                self.check()
        else:
            self.kept += 1
            self.kept_bytes += item[6]

    def check(self) -> None:
        """Raise when every record so far lacks the text field: the field name is wrong, not the data."""
        if self.records and self.rejected["missing_text"] == self.records:
            assert self._first_missing is not None
            raise InputError(
                f"{self.spec.file}: none of its first {self.records:,} records has the text field "
                f"'{self.spec.params.text_field}' ({self._first_missing.detail}); "
                "set --text-field to the field that holds the text"
            )


def jsonl_records(
    stream: BinaryIO, spec: RecordSpec, tally: Tally, first_row: int = 0, length: int | None = None
) -> Iterator[DocRow | Reject]:
    """JSON Lines; rows are 1-based line numbers. Blank lines are counted, not records.

    A range of a file: the stream starts at a line start, `first_row` lines precede it, and reading
    stops after `length` bytes (which end at a line start too).
    """
    limit = spec.max_line_bytes
    row = first_row
    left = (1 << 62) if length is None else length
    while left > 0 and (line := stream.readline(limit + 1)):
        left -= len(line)
        row += 1
        if len(line) > limit:  # never hold more than `limit` bytes of one line in memory
            n, head = len(line), line[:1024]
            while not line.endswith(b"\n") and (line := stream.readline(1 << 20)):
                n += len(line)
                left -= len(line)
            yield too_long_line(head, n - line.endswith(b"\n"), row, spec)
            continue
        stripped = line.strip()
        if not stripped:
            tally.blank_lines += 1
            continue
        if first_row == 0 and row - tally.blank_lines == 1 and stripped.startswith(b"["):
            raise InputError(
                f"{spec.file}: starts with '[': a JSON array, not JSON Lines (one object per line); "
                "convert it, e.g. jq -c '.[]' in.json > out.jsonl"
            )
        yield from_json_line(stripped, row, spec)


def parquet_records(pf: pq.ParquetFile, spec: RecordSpec, batch_size: int = 1024) -> Iterator[DocRow | Reject]:
    """Parquet rows as dicts; rows are 0-based row indices across row groups."""
    names = pf.schema_arrow.names
    if spec.text_path[0] not in names:
        raise InputError(
            f"{spec.file}: no column '{spec.text_path[0]}' (columns: {', '.join(names)}); "
            "set --text-field to the column that holds the text"
        )
    row = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        for obj in batch.to_pylist():
            yield from_mapping(obj, row, spec, obj)
            row += 1


def text_records(stream: BinaryIO, size: int, spec: RecordSpec) -> Iterator[DocRow | Reject]:
    """A .txt/.md file is one document; a file far over the cap is rejected unread."""
    if size > 4 * spec.params.max_doc_bytes:
        head = stream.read(1024)
        detail = f"file is {size:,} bytes; max_doc_bytes is {spec.params.max_doc_bytes:,}"
        yield Reject(0, "too_large", detail, head.decode("utf-8", "replace")[:200])
        return
    yield from_text_file(stream.read(), spec)
