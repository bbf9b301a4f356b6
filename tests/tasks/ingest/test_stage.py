"""The ingest stage over real files, without Prefect: counts, contracts, determinism, formats."""

import gzip
import json
import os
import re
from collections import Counter
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schemas.config import IngestParams
from schemas.outputs import IngestSummary
from schemas.refs import DatasetRef
from tasks.common import catalog, io
from tasks.ingest import stage
from tasks.ingest.records import REASONS
from tests.conftest import BAD_LINES, GOOD, MAX_DOC_BYTES, write_jsonl

PARAMS = IngestParams(max_doc_bytes=MAX_DOC_BYTES, max_reject_fraction=1.0)


class Ingested(NamedTuple):
    documents: DatasetRef
    rejected: DatasetRef
    summary: IngestSummary


def loaded(plan) -> Ingested:
    ref = catalog.ref(plan.run, "ingest", plan.fingerprint)
    return Ingested(ref.documents, ref.rejected, catalog.summary(ref))


def run_ingest(inputs, run, params=PARAMS):
    plan = stage.plan([str(i) for i in inputs], str(run), params)
    if not plan.done:
        stage.commit(plan, [stage.ingest_file(f, stage.file_uri(plan, k), params) for k, f in enumerate(plan.files)],
                     params)  # fmt: skip
    return plan, loaded(plan)


def table(ds) -> pa.Table:
    return pa.concat_tables([io.read_table(p) for p in ds.partitions])


def test_planted_bad_records_exact_counts_and_nothing_lost(planted, tmp_path):
    _, result = run_ingest([planted], tmp_path / "run")
    s = result.summary
    expected = Counter({r: 0 for r in REASONS}) + Counter(r for _, r in BAD_LINES)
    assert s.rejected_by_reason == {r: expected[r] for r in REASONS}
    assert (s.records, s.kept, s.rejected) == (len(GOOD) + len(BAD_LINES), len(GOOD), len(BAD_LINES))
    assert s.counts_add_up and s.blank_lines == 1
    docs, rej = table(result.documents), table(result.rejected)
    assert docs.num_rows == result.documents.num_rows == s.kept
    assert rej.num_rows == result.rejected.num_rows == s.rejected
    assert sorted(docs["doc_id"].to_pylist()) == sorted(r["id"] for r in GOOD)
    # every reject names its file and line, and the lines are exactly the planted ones
    lines = {row: reason for row, (_, reason) in enumerate(BAD_LINES, start=len(GOOD) + 1)}
    assert {(r["row"], r["reason"]) for r in rej.to_pylist()} == set(lines.items())
    assert set(rej["file"].to_pylist()) == {"planted.jsonl"}
    dup = rej.filter(pa.compute.equal(rej["reason"], "duplicate_id")).to_pylist()[0]
    assert dup["doc_id"] == "g3" and dup["detail"] == "id already used by planted.jsonl:4"


def test_duplicate_ids_across_files_first_input_wins(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": 1, "text": "first"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "1", "text": "second"}, {"id": 2, "text": "other"}])
    _, result = run_ingest([b, a], tmp_path / "run")  # input order, not name order, decides
    assert table(result.documents)["text"].to_pylist() == ["second", "other"]
    assert table(result.rejected).to_pylist()[0]["detail"] == "id already used by b.jsonl:1"


def test_same_input_gives_same_ids_and_identical_partition_bytes(planted, tmp_path):
    _, one = run_ingest([planted], tmp_path / "r1")
    _, two = run_ingest([planted], tmp_path / "r2")
    assert one.summary.fingerprint == two.summary.fingerprint
    for p1, p2 in zip(one.documents.partitions + one.rejected.partitions,
                      two.documents.partitions + two.rejected.partitions, strict=True):  # fmt: skip
        assert io.read_bytes(p1.uri) == io.read_bytes(p2.uri)


def test_rerun_is_a_no_op_and_new_params_give_a_new_directory(planted, tmp_path):
    plan, first = run_ingest([planted], tmp_path / "run")
    marker = os.path.join(plan.out, "_SUCCESS")
    before = os.stat(marker).st_mtime_ns
    again, result = run_ingest([planted], tmp_path / "run")
    assert again.done and result == first and os.stat(marker).st_mtime_ns == before
    other, changed = run_ingest([planted], tmp_path / "run", PARAMS.model_copy(update={"max_doc_bytes": 5000}))
    assert other.fingerprint != plan.fingerprint and not other.done
    assert changed.summary.rejected_by_reason["too_large"] == 0
    assert sorted(os.listdir(tmp_path / "run" / "documents")) == sorted([plan.fingerprint, other.fingerprint])
    assert not os.path.exists(tmp_path / "run" / "work" / "ingest" / plan.fingerprint)


def test_every_format_gives_the_same_documents(tmp_path):
    recs = [{"id": f"d{i}", "text": f"text {i}", "source": "s"} for i in range(5)]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in recs)
    (tmp_path / "a.jsonl").write_bytes(data)
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(data))
    with pa.output_stream(str(tmp_path / "c.jsonl.zst"), compression="zstd") as f:
        f.write(data)
    pq.write_table(pa.Table.from_pylist(recs), tmp_path / "d.parquet")
    texts = {}
    for name in ["a.jsonl", "b.jsonl.gz", "c.jsonl.zst", "d.parquet"]:
        _, result = run_ingest([tmp_path / name], tmp_path / f"run-{name}")
        texts[name] = table(result.documents).select(["doc_id", "text", "source"]).to_pylist()
    assert all(t == texts["a.jsonl"] for t in texts.values()) and len(texts["a.jsonl"]) == 5


def test_text_directory_one_document_per_file(tmp_path):
    d = tmp_path / "notes"
    d.mkdir()
    (d / "a.md").write_text("# A\nalpha")
    (d / "b.txt").write_bytes(b"\xff bad")
    (d / "c.png").write_bytes(b"\x89PNG")
    _, result = run_ingest([d], tmp_path / "run")
    docs = table(result.documents).to_pylist()
    assert [(r["text"], r["source"], r["file"]) for r in docs] == [("# A\nalpha", "notes", "notes/a.md")]
    assert table(result.rejected)["reason"].to_pylist() == ["invalid_utf8"]
    assert result.summary.skipped_files == ["notes/c.png"]


def test_small_partitions_split_and_keep_every_row(tmp_path):
    recs = [{"text": "w " * 1000} for _ in range(40)]  # 2000 bytes each
    _, result = run_ingest([write_jsonl(tmp_path / "a.jsonl", recs)], tmp_path / "run",
                           IngestParams(partition_bytes=8192))  # fmt: skip
    assert len(result.documents.partitions) >= 5 and result.documents.num_rows == 40
    assert len(set(table(result.documents)["doc_id"].to_pylist())) == 40  # hashed ids differ by row


def test_reject_rate_over_the_limit_fails_with_reasons(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "ok"}], [b"{bad"] * 3)
    with pytest.raises(stage.RejectRateError, match=r"rejected 3 of 4 records \(75%; malformed_json: 3\)"):
        run_ingest([path], tmp_path / "run", IngestParams(max_reject_fraction=0.5))
    assert not os.path.exists(tmp_path / "run" / "documents")


def test_crashed_run_resumes_without_rereading_committed_files(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", [{"text": "a"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"text": "b"}])
    plan = stage.plan([str(a), str(b)], str(tmp_path / "run"), PARAMS)
    first = stage.ingest_file(plan.files[0], stage.file_uri(plan, 0), PARAMS)  # then the run "crashes"
    a.unlink()  # a rerun must not need file a again: its staged output is committed
    again = stage.ingest_file(plan.files[0], stage.file_uri(plan, 0), PARAMS)
    assert again == first
    second = stage.ingest_file(plan.files[1], stage.file_uri(plan, 1), PARAMS)
    assert stage.commit(plan, [again, second], PARAMS).summary.kept == 2


def test_latest_points_at_the_last_committed_ingest_the_catalog_advanced(planted, tmp_path):
    plan, _ = run_ingest([planted], tmp_path / "run")
    with pytest.raises(stage.InputError, match=r"ingest: no committed output; run `skillmix ingest INPUT\.\.\. --run"):
        catalog.latest(str(tmp_path / "run"), "ingest")
    catalog.advance(catalog.ref(plan.run, "ingest", plan.fingerprint))
    assert catalog.latest(str(tmp_path / "run"), "ingest").fingerprint == plan.fingerprint


def test_a_file_split_into_parallel_ranges_gives_the_same_records(tmp_path):
    recs = [{"text": f"document {i} " + "w" * (i % 300)} for i in range(600)]  # hashed ids: file, row, text
    bad = [line for line, _ in BAD_LINES]
    path = write_jsonl(tmp_path / "big.jsonl", recs[:300] + GOOD, bad + [json.dumps(r).encode() for r in recs[300:]])
    whole_plan, whole = run_ingest([path], tmp_path / "whole", PARAMS)
    split_params = PARAMS.model_copy(update={"split_bytes": 8192})
    split_plan, split = run_ingest([path], tmp_path / "split", split_params)
    assert len(whole_plan.files) == 1 and len(split_plan.files) > 5
    assert split.summary.inputs[0].tasks == len(split_plan.files)
    for key in ("records", "kept", "rejected", "rejected_by_reason"):
        assert getattr(split.summary, key) == getattr(whole.summary, key)
    cols = ["doc_id", "text", "row"]
    assert table(split.documents).select(cols).to_pylist() == table(whole.documents).select(cols).to_pylist()
    rej_cols = ["row", "reason", "detail"]
    assert sorted(map(str, table(split.rejected).select(rej_cols).to_pylist())) == sorted(
        map(str, table(whole.rejected).select(rej_cols).to_pylist())
    )


def test_fsspec_uris_for_inputs_and_the_run_directory(planted):
    import fsspec

    mem = fsspec.filesystem("memory")
    mem.pipe("/in/planted.jsonl", planted.read_bytes())
    try:
        plan, result = run_ingest(["memory://in/planted.jsonl"], "memory://run")
        assert fsspec.core.url_to_fs(plan.files[0].uri)[1] == "/in/planted.jsonl"  # memory:///in/...
        assert result.documents.uri.startswith("memory://run/documents/")
        assert (result.summary.kept, result.summary.rejected) == (len(GOOD), len(BAD_LINES))
        assert mem.exists(f"/run/documents/{plan.fingerprint}/_SUCCESS")
        assert table(result.documents).num_rows == len(GOOD)
        assert run_ingest(["memory://in/planted.jsonl"], "memory://run")[0].done
    finally:
        mem.rm("/", recursive=True)


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_truncated_compressed_file_stops_naming_the_file(tmp_path, suffix):
    data = b"".join(json.dumps({"text": f"record {i} " * 20}).encode() + b"\n" for i in range(2000))
    path = tmp_path / f"cut{suffix}"
    with pa.output_stream(str(path), compression="gzip" if suffix.endswith("gz") else "zstd") as f:
        f.write(data)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a download that stopped halfway
    expected = rf"cut{re.escape(suffix)}: unreadable .*check that the file is complete"
    with pytest.raises(stage.InputError, match=expected):
        run_ingest([path], tmp_path / "run")
    assert not (tmp_path / "run" / "documents").exists()


def test_a_committed_rerun_does_not_read_large_files_again(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "big.jsonl", [{"text": f"t{i} " * 50} for i in range(200)])
    params = PARAMS.model_copy(update={"split_bytes": 8192})
    run_ingest([path], tmp_path / "run", params)

    def no_reading(*_):
        raise AssertionError("a committed rerun read the input to cut it into ranges")

    monkeypatch.setattr(stage.io, "line_ranges", no_reading)
    assert stage.plan([str(path)], str(tmp_path / "run"), params).done


def test_a_commit_that_crashed_midway_completes_on_rerun(tmp_path, monkeypatch):
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": i, "text": f"a{i}"} for i in range(5)])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": i, "text": f"b{i}"} for i in range(3, 8)])  # ids 3, 4 reused
    plan = stage.plan([str(a), str(b)], str(tmp_path / "run"), PARAMS)
    results = [stage.ingest_file(f, stage.file_uri(plan, k), PARAMS) for k, f in enumerate(plan.files)]

    def crash(*_, **__):
        raise RuntimeError("killed after the partitions were placed, before the markers")

    with monkeypatch.context() as m:
        m.setattr(stage.summary, "build", crash)
        with pytest.raises(RuntimeError, match="killed"):
            stage.commit(plan, results, PARAMS)
    again = [stage.ingest_file(f, stage.file_uri(plan, k), PARAMS) for k, f in enumerate(plan.files)]
    assert again == results  # staged files are committed: not read again
    s = stage.commit(plan, again, PARAMS).summary
    assert (s.records, s.kept, s.rejected_by_reason["duplicate_id"]) == (10, 8, 2)
    docs = table(loaded(plan).documents)
    assert sorted(docs["text"].to_pylist()) == ["a0", "a1", "a2", "a3", "a4", "b5", "b6", "b7"]
