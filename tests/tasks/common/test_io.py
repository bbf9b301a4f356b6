import gzip

import pyarrow.parquet as pq
import pytest

from tasks.common import io
from tasks.common.errors import InputError


def test_discover_reads_known_formats_and_lists_the_rest(tmp_path):
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    for name in ["a.jsonl", "b.jsonl.gz", "c.ndjson.zst", "sub/d.parquet", "sub/e.md", "f.txt", "notes.csv", "x.gz"]:
        (d / name).write_bytes(b"x")
    files, skipped = io.discover([str(d)])
    got = {(f.rel, f.format, f.compression) for f in files}
    assert got == {("corpus/a.jsonl", "jsonl", None), ("corpus/b.jsonl.gz", "jsonl", "gzip"),
                   ("corpus/c.ndjson.zst", "jsonl", "zstd"), ("corpus/sub/d.parquet", "parquet", None),
                   ("corpus/sub/e.md", "text", None), ("corpus/f.txt", "text", None)}  # fmt: skip
    assert skipped == ["corpus/notes.csv", "corpus/x.gz"]
    assert [f.rel for f in files] == sorted(f.rel for f in files)
    assert {f.default_source for f in files} == {"corpus"}


def test_discover_errors_name_the_input(tmp_path):
    (tmp_path / "data.csv").write_text("a,b")
    with pytest.raises(InputError, match="data.csv: unknown format"):
        io.discover([str(tmp_path / "data.csv")])
    with pytest.raises(InputError, match="nope.jsonl: no such file"):
        io.discover([str(tmp_path / "nope.jsonl")])
    (tmp_path / "a.jsonl").write_text("{}")
    with pytest.raises(InputError, match="given twice: a.jsonl"):
        io.discover([str(tmp_path / "a.jsonl")] * 2)


def test_open_binary_decompresses(tmp_path):
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(b"line1\nline2\n"))
    [src], _ = io.discover([str(tmp_path / "a.jsonl.gz")])
    with io.open_binary(src) as (stream, raw):
        assert stream.readlines() == [b"line1\n", b"line2\n"]
        assert raw.tell() == src.size


def test_partition_writer_rolls_files_and_leaves_no_temporaries(tmp_path):
    row = ("id", "t" * 100, "s", None, "f", 0, 100)
    # row groups of 10 rows (1000 B); a file closes once it holds >= 3000 B: 30 + 30 + 30 + 10 rows
    with io.PartitionWriter(str(tmp_path / "docs"), "documents", target_bytes=3000, row_group_bytes=1000) as w:
        for i in range(100):
            w.append((f"d{i}", *row[1:]), 100)
    assert [p["num_rows"] for p in w.parts] == [30, 30, 30, 10]
    assert [p["name"] for p in w.parts] == [f"part-{k:05d}.parquet" for k in range(4)]
    assert sorted(x.name for x in (tmp_path / "docs").iterdir()) == [p["name"] for p in w.parts]
    assert pq.read_table(tmp_path / "docs" / "part-00003.parquet")["doc_id"][-1].as_py() == "d99"


def test_partition_writer_aborts_without_a_partial_file(tmp_path):
    with pytest.raises(RuntimeError), io.PartitionWriter(str(tmp_path / "d"), "documents", 1 << 20, 10) as w:
        w.append(("a", "t", "s", None, "f", 0, 1), 20)
        raise RuntimeError("crash mid-write")
    assert list((tmp_path / "d").iterdir()) == []


def test_commit_marker_round_trip(tmp_path):
    uri = str(tmp_path / "out")
    assert io.committed(uri) is None
    io.commit(uri, {"rows": 3})
    assert io.committed(uri) == {"rows": 3}


def test_line_ranges_tile_the_file_at_line_starts_with_line_counts(tmp_path):
    lines = [b"x" * (i * 37 % 500) for i in range(400)]  # blank and long lines, some spanning cuts
    data = b"\n".join(lines) + b"\n"
    (tmp_path / "a.jsonl").write_bytes(data)
    [src], _ = io.discover([str(tmp_path / "a.jsonl")])
    ranges = io.line_ranges(src, target=4096, block=1000)
    assert len(ranges) > 5
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for (s, e, rows), (s2, _, _) in zip(ranges, [*ranges[1:], (len(data), 0, 0)], strict=True):
        assert e == s2 and data[s - 1 : s] in (b"", b"\n")  # contiguous, each starts a line
        assert rows == data[:s].count(b"\n")
