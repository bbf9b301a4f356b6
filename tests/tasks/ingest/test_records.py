import json

import pytest

from schemas.config import IngestParams
from tasks.ingest.records import REASONS, RecordSpec, Reject, from_json_line, from_mapping, from_text_file, hashed_id
from tests.conftest import BAD_LINES, MAX_DOC_BYTES

SPEC = RecordSpec(IngestParams(max_doc_bytes=MAX_DOC_BYTES), "in.jsonl", "in")


@pytest.mark.parametrize(("line", "reason"), [b for b in BAD_LINES if b[1] != "duplicate_id"])
def test_each_bad_line_is_rejected_with_its_reason(line, reason):
    out = from_json_line(line, 7, SPEC)
    assert isinstance(out, Reject)
    assert (out.reason, out.row) == (reason, 7)
    assert out.detail and out.excerpt


def test_every_reason_is_planted_in_the_fixture():
    assert {r for _, r in BAD_LINES} == set(REASONS)


def test_good_record_keeps_given_id_source_and_other_fields_as_meta():
    row = from_json_line(json.dumps({"id": 17, "text": "hi", "source": "web", "url": "u", "n": 2}).encode(), 3, SPEC)
    doc_id, text, source, meta, file, r, n_bytes = row
    assert (doc_id, text, source, file, r, n_bytes) == ("17", "hi", "web", "in.jsonl", 3, 2)
    assert json.loads(meta) == {"url": "u", "n": 2}


def test_missing_id_gets_a_content_hash_stable_per_file_row_and_text():
    a = from_json_line(b'{"text": "same"}', 1, SPEC)
    assert a[0] == hashed_id("in.jsonl", 1, "same") == from_json_line(b'{"text": "same"}', 1, SPEC)[0]
    assert from_json_line(b'{"text": "same"}', 2, SPEC)[0] != a[0]  # an exact copy on another line
    assert len(a[0]) == 32 and a[2] == "in"  # default source: the input's name


def test_nested_fields_and_empty_source_fall_back():
    spec = RecordSpec(IngestParams(text_field="body.text", id_field="meta.id", source_field="meta.site"), "f", "f")
    row = from_mapping({"body": {"text": "x", "lang": "en"}, "meta": {"id": "m1", "site": ""}}, 0, spec, None)
    assert row[:3] == ("m1", "x", "f")
    assert json.loads(row[3]) == {"body": {"lang": "en"}}  # taken fields (text, id, source) leave meta


def test_size_cap_counts_utf8_bytes_not_chars():
    spec = RecordSpec(IngestParams(max_doc_bytes=10), "f", "f")
    assert not isinstance(from_mapping({"text": "é" * 5}, 0, spec, None), Reject)  # 10 bytes
    assert from_mapping({"text": "é" * 6}, 0, spec, None).reason == "too_large"  # 12 bytes


def test_text_file_record():
    assert from_text_file(b"# Title\r\nbody", SPEC)[1] == "# Title\nbody"
    assert from_text_file(b"\xff", SPEC).reason == "invalid_utf8"
    assert from_text_file(b"  \n", SPEC).reason == "empty_text"
