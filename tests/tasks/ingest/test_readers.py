import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas.config import IngestParams
from tasks.common.errors import InputError
from tasks.ingest import readers
from tasks.ingest.records import RecordSpec, Reject


def _run(data: bytes, params: IngestParams = IngestParams()):
    spec = RecordSpec(params, "f.jsonl", "f")
    tally = readers.Tally(spec)
    out = []
    for item in readers.jsonl_records(io.BufferedReader(io.BytesIO(data), 64), spec, tally):
        tally.add(item)
        out.append(item)
    tally.check()
    return out, tally


def test_rows_are_line_numbers_and_blank_lines_are_not_records():
    out, tally = _run(b'{"text": "a"}\n\n  \n{"text": "b"}')  # no trailing newline on the last line
    assert [r[5] for r in out] == [1, 4]
    assert (tally.records, tally.kept, tally.blank_lines) == (2, 2, 2)


def test_overlong_line_is_rejected_without_losing_the_next_line():
    params = IngestParams(max_doc_bytes=100)  # line limit 6 * 100 + 65536
    huge = json.dumps({"text": "y" * 70_000}).encode()
    out, _tally = _run(huge + b'\n{"text": "after"}\n', params)
    assert isinstance(out[0], Reject) and out[0].reason == "too_large" and out[0].row == 1
    assert f"{len(huge):,} bytes" in out[0].detail
    assert out[1][1] == "after" and out[1][5] == 2


def test_json_array_file_stops_with_a_hint():
    with pytest.raises(InputError, match="JSON array.*jq"):
        _run(b'[{"text": "a"},\n{"text": "b"}]\n')


def test_wrong_text_field_stops_early_naming_the_file_and_fields():
    data = b"".join(json.dumps({"content": f"t{i}"}).encode() + b"\n" for i in range(5000))
    with pytest.raises(InputError, match=r"f.jsonl: none of its first 1,000 records.*fields: content.*--text-field"):
        _run(data)


def test_wrong_text_field_in_a_small_file_stops_at_the_end():
    with pytest.raises(InputError, match="none of its first 2 records"):
        _run(b'{"content": "a"}\n{"content": "b"}\n')


def test_some_missing_text_is_only_rejects():
    _out, tally = _run(b'{"content": "a"}\n{"text": "b"}\n')
    assert tally.rejected["missing_text"] == 1 and tally.kept == 1


def _parquet(table: pa.Table) -> pq.ParquetFile:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return pq.ParquetFile(io.BytesIO(buf.getvalue()))


def test_parquet_rows_and_binary_text_column():
    pf = _parquet(pa.table({"text": pa.array([b"ok", b"\xff\xfe", b""], pa.binary()), "lang": ["en", "en", "de"]}))
    out = list(readers.parquet_records(pf, RecordSpec(IngestParams(), "p.parquet", "p"), batch_size=2))
    assert out[0][1] == "ok" and out[0][5] == 0 and out[0][3] == '{"lang": "en"}'
    assert [o.reason for o in out[1:]] == ["invalid_utf8", "empty_text"]
    assert [o.row for o in out[1:]] == [1, 2]


def test_parquet_without_the_text_column_stops():
    pf = _parquet(pa.table({"body": ["x"]}))
    with pytest.raises(InputError, match=r"p.parquet: no column 'text' \(columns: body\)"):
        list(readers.parquet_records(pf, RecordSpec(IngestParams(), "p.parquet", "p")))
