"""All file access: fsspec URIs, input discovery, atomic parquet/JSON writes, `_SUCCESS` markers.

The only module under tasks/ that opens files. Commit protocol (DESIGN.md "Run layout"):
write `<name>.tmp-<uuid>`, rename to `<name>`, and write a directory's `_SUCCESS` marker last;
`committed(dir)` returns the marker or None, so a rerun or retry skips finished work.
"""

from __future__ import annotations

import io
import json
import posixpath
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.refs import DatasetRef, PartitionRef, SourceFile
from schemas.tables import TABLES
from tasks.common.errors import InputError

MARKER = "_SUCCESS"
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
FORMATS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
    ".txt": "text", ".md": "text", ".markdown": "text",
}  # fmt: skip


def fs_path(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem and path of a local path or fsspec URI."""
    return fsspec.core.url_to_fs(uri)


def join(uri: str, *parts: str) -> str:
    return posixpath.join(uri.rstrip("/"), *parts)


def exists(uri: str) -> bool:
    fs, path = fs_path(uri)
    return fs.exists(path)


def isdir(uri: str) -> bool:
    fs, path = fs_path(uri)
    return fs.isdir(path)


def detect_format(path: str) -> tuple[str, str | None] | None:
    """(format, compression) from a file name, or None when the suffix is not one we read."""
    name = posixpath.basename(path).lower()
    stem, ext = posixpath.splitext(name)
    compression = COMPRESSIONS.get(ext)
    if compression:
        ext = posixpath.splitext(stem)[1]
    fmt = FORMATS.get(ext)
    if fmt is None or (compression and fmt != "jsonl"):
        return None
    return fmt, compression


def _source_file(fs: fsspec.AbstractFileSystem, path: str, rel: str, detected: tuple[str, str | None]) -> SourceFile:
    info = fs.info(path)
    version = info.get("mtime") or info.get("LastModified") or info.get("ETag") or info.get("created") or ""
    uri = path if _is_local(fs) else fs.unstrip_protocol(path)
    return SourceFile(
        uri=uri, rel=rel, format=detected[0], compression=detected[1],
        size=int(info.get("size") or 0), version=str(version),
    )  # fmt: skip


def discover(inputs: list[str]) -> tuple[list[SourceFile], list[str]]:
    """Expand inputs (files or directories, local or fsspec) into readable files, in a stable order.

    Returns (files, skipped): files inside a directory whose suffix we do not read are skipped and
    listed, never dropped silently; a file named explicitly with an unknown suffix is an error.
    """
    files: list[SourceFile] = []
    skipped: list[str] = []
    for given in inputs:
        fs, path = fs_path(given)
        if not fs.exists(path):
            raise InputError(f"{given}: no such file or directory")
        if fs.isdir(path):
            root = posixpath.basename(path.rstrip("/")) or "input"
            found = sorted(fs.find(path))
            for child in found:
                rel = posixpath.join(root, posixpath.relpath(child, path))
                detected = detect_format(child)
                if detected is None:
                    skipped.append(rel)
                else:
                    files.append(_source_file(fs, child, rel, detected))
            continue
        detected = detect_format(path)
        if detected is None:
            raise InputError(
                f"{given}: unknown format; ingest reads .jsonl/.ndjson/.json (optionally .gz or .zst), "
                ".parquet, and .txt/.md files or directories of them. Rename the file or convert it."
            )
        files.append(_source_file(fs, path, posixpath.basename(path), detected))
    rels = [f.rel for f in files]
    if len(set(rels)) != len(rels):
        dup = sorted({r for r in rels if rels.count(r) > 1})
        raise InputError(f"the same input file is given twice: {', '.join(dup)}; pass each input once")
    return files, skipped


@contextmanager
def open_binary(src: SourceFile) -> Iterator[tuple[BinaryIO, Any]]:
    """A buffered, decompressed byte stream of `src` and the raw file (its tell() is progress)."""
    fs, path = fs_path(src.uri)
    try:
        raw = fs.open(path, "rb")
    except OSError as e:
        raise InputError(f"{src.uri}: cannot open ({e}); check the path and permissions") from e
    with raw:
        if src.start:
            raw.seek(src.start)
        if src.compression:
            stream = pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), src.compression)
            yield io.BufferedReader(stream, buffer_size=1 << 20), raw
        else:
            yield raw, raw


def _next_line_start(f: Any, pos: int, block: int = 1 << 20) -> int:
    """Offset of the first line that starts at or after `pos` (reads blocks: no line is held whole)."""
    if pos == 0:
        return 0
    f.seek(pos - 1)
    while chunk := f.read(block):
        if (i := chunk.find(b"\n")) >= 0:
            return f.tell() - len(chunk) + i + 1
    return f.tell()


def line_ranges(src: SourceFile, target: int, block: int = 16 << 20) -> list[tuple[int, int, int]]:
    """Cut a plain file into (start, end, lines before start) ranges of about `target` bytes at line starts.

    Reads the file once to count the lines before each cut, so rows are file line numbers whatever
    the cut; sequential reads in large blocks, at disk or network speed.
    """
    fs, path = fs_path(src.uri)
    with fs.open(path, "rb") as f:
        cuts = sorted({_next_line_start(f, k * target) for k in range(1, -(-src.size // target))} - {src.size})
        bounds, rows, lines, pos = [0], [0], 0, 0
        f.seek(0)
        for cut in cuts:
            while pos < cut:
                chunk = f.read(min(block, cut - pos))
                lines += chunk.count(b"\n")
                pos += len(chunk)
            if cut > bounds[-1]:
                bounds.append(cut)
                rows.append(lines)
    return list(zip(bounds, [*bounds[1:], src.size], rows, strict=True))


def read_bytes(uri: str) -> bytes:
    fs, path = fs_path(uri)
    return fs.cat_file(path)


def parquet_file(raw: BinaryIO) -> pq.ParquetFile:
    return pq.ParquetFile(raw)


def _atomic_target(uri: str) -> tuple[fsspec.AbstractFileSystem, str, str]:
    fs, path = fs_path(uri)
    fs.makedirs(posixpath.dirname(path), exist_ok=True)
    return fs, path, f"{path}.tmp-{uuid.uuid4().hex[:8]}"


def write_bytes(uri: str, data: bytes) -> None:
    """Write `data` to `uri` atomically (temporary name, then rename)."""
    fs, path, tmp = _atomic_target(uri)
    with fs.open(tmp, "wb") as f:
        f.write(data)
    fs.mv(tmp, path)


def write_arrays(uri: str, **arrays: Any) -> None:
    """numpy arrays into one .npz file, atomically."""
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_bytes(uri, buf.getvalue())


def memmap(uri: str, dtype: str) -> Any:
    """A read-only numpy view of a raw array file: memory-mapped when local, read into memory otherwise."""
    import numpy as np

    fs, path = fs_path(uri)
    if _is_local(fs):
        return np.memmap(path, dtype=dtype, mode="r")
    return np.frombuffer(read_bytes(uri), dtype)


def read_arrays(uri: str) -> dict[str, Any]:
    import numpy as np

    with np.load(io.BytesIO(read_bytes(uri))) as data:
        return {k: data[k] for k in data.files}


def json_bytes(obj: Any) -> bytes:
    """The JSON every stage writes: sorted keys, 2-space indent, a final newline (same object, same bytes)."""
    return (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode()


def write_json(uri: str, obj: Any) -> None:
    write_bytes(uri, json_bytes(obj))


def read_json(uri: str) -> Any:
    return json.loads(read_bytes(uri))


def committed(dir_uri: str) -> dict | None:
    """The `_SUCCESS` marker of a directory, or None if it was never committed."""
    marker = join(dir_uri, MARKER)
    return read_json(marker) if exists(marker) else None


def commit(dir_uri: str, marker: dict) -> None:
    """Mark `dir_uri` complete; call after every file in it is written."""
    write_json(join(dir_uri, MARKER), marker)


def trusted(marker: dict | None, uri: str) -> bool:
    """Whether a committed partition file can be used: its marker exists and its parquet footer still says the
    committed row count (a truncated or replaced file is not trusted); an empty partition has no file."""
    if marker is None:
        return False
    if marker["num_rows"] == 0:
        return True
    try:
        return parquet_rows(uri) == marker["num_rows"]
    except (OSError, pa.ArrowException):
        return False


def remove(uri: str) -> None:
    fs, path = fs_path(uri)
    if fs.exists(path):
        fs.rm(path, recursive=True)


def move(src_uri: str, dst_uri: str) -> None:
    fs, src = fs_path(src_uri)
    _, dst = fs_path(dst_uri)
    fs.makedirs(posixpath.dirname(dst), exist_ok=True)
    fs.mv(src, dst)


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def glob(pattern: str) -> list[str]:
    """URIs matching a glob, with the protocol kept for remote filesystems."""
    fs, path = fs_path(pattern)
    found = sorted(fs.glob(path))
    return found if _is_local(fs) else [fs.unstrip_protocol(p) for p in found]


def dataset(dir_uri: str, table: str, parts: list[dict]) -> DatasetRef:
    """A DatasetRef from marker entries [{'name', 'num_rows'}] relative to `dir_uri`."""
    refs = tuple(PartitionRef(uri=join(dir_uri, p["name"]), num_rows=p["num_rows"], table=table) for p in parts)
    return DatasetRef(uri=dir_uri, table=table, partitions=refs)


def read_table(ref: PartitionRef, columns: list[str] | None = None) -> pa.Table:
    """Read one partition, checking it against the schema its ref names."""
    fs, path = fs_path(ref.uri)
    with fs.open(path, "rb") as f:
        table = pq.read_table(f, columns=columns)
    expected = TABLES[ref.table]
    missing = [n for n in (columns or expected.names) if n not in table.column_names]
    if missing:
        raise InputError(
            f"{ref.uri}: columns {missing} missing (has: {', '.join(table.column_names)}); "
            f"it is not a '{ref.table}' partition, or was written by another version; rerun its stage"
        )
    return table


def parquet_rows(uri: str) -> int:
    """Row count from a parquet file's footer (raises on a truncated or corrupt file)."""
    fs, path = fs_path(uri)
    with fs.open(path, "rb") as f:
        return pq.ParquetFile(f).metadata.num_rows


def write_table(table: pa.Table, uri: str) -> int:
    """Write one table as one parquet file atomically; an empty table writes nothing. Returns its rows."""
    if table.num_rows:
        fs, path, tmp = _atomic_target(uri)
        with fs.open(tmp, "wb") as f:
            pq.write_table(table, f)
        fs.mv(tmp, path)
    return table.num_rows


class PartitionWriter:
    """Rows in, parquet partitions of about `target_bytes` out (`part-00000.parquet`, ...).

    Rows are buffered as columns and flushed as one row group per `row_group_bytes`, so memory is
    bounded by the row group whatever the input size. Each file is written under a temporary name
    and renamed when full, so a crash never leaves a half-written partition behind a real name.
    """

    def __init__(self, dir_uri: str, table: str, target_bytes: int, row_group_bytes: int = 8 << 20):
        self.dir_uri, self.table = dir_uri, table
        self.schema = TABLES[table]
        self.target_bytes, self.row_group_bytes = target_bytes, min(row_group_bytes, target_bytes)
        self.parts: list[dict] = []  # [{'name', 'num_rows'}] of finished files
        self._cols: list[list] = [[] for _ in self.schema.names]
        self._buffered = 0
        self._file_bytes = self._file_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._handle: Any = None
        self._tmp = self._path = ""
        self._fs, _ = fs_path(dir_uri)

    def append(self, row: tuple, nbytes: int) -> None:
        for col, value in zip(self._cols, row, strict=True):
            col.append(value)
        self._buffered += nbytes
        if self._buffered >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._cols[0]:
            return
        if self._writer is None:
            name = f"part-{len(self.parts):05d}.parquet"
            self._fs, self._path, self._tmp = _atomic_target(join(self.dir_uri, name))
            self._handle = self._fs.open(self._tmp, "wb")
            self._writer = pq.ParquetWriter(self._handle, self.schema)
        batch = pa.RecordBatch.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(self._cols, self.schema, strict=True)], schema=self.schema
        )
        self._writer.write_batch(batch)
        self._file_rows += batch.num_rows
        self._file_bytes += self._buffered
        self._cols = [[] for _ in self.schema.names]
        self._buffered = 0
        if self._file_bytes >= self.target_bytes:
            self._close_file()

    def _close_file(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        self._handle.close()
        self._fs.mv(self._tmp, self._path)
        self.parts.append({"name": posixpath.basename(self._path), "num_rows": self._file_rows})
        self._writer = None
        self._file_bytes = self._file_rows = 0

    def close(self) -> list[dict]:
        self._flush()
        self._close_file()
        return self.parts

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._handle.close()
            self._fs.rm(self._tmp)
            self._writer = None

    def __enter__(self) -> PartitionWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
