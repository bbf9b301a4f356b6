"""Raw records -> document rows or rejected rows, each with exactly one reason. Pure.

A record is a JSON line, a Parquet row or a text file. Every record becomes either a `Doc` or a
`Reject` (never both, never neither), which is what makes `records = kept + rejected` hold.
doc_id: the record's own id when it has one (str or int), else blake2b-128 of
(file, row, normalised text), stable across reruns of the same input. Uniqueness of ids across
the run is checked later, over all files (tasks.ingest.ids).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from schemas.config import IngestParams
from tasks.common.text import excerpt, normalize

REASONS = (
    "malformed_json",  # a line that is not a JSON object
    "invalid_utf8",  # bytes that are not UTF-8, or a lone surrogate escape
    "missing_text",  # the text field is absent or null
    "non_string_text",  # the text field is a number, list, object or bool
    "empty_text",  # nothing but whitespace after normalisation
    "too_large",  # text (or, in JSONL, the whole line) over the size cap
    "invalid_id",  # an id that is neither a string nor an integer
    "duplicate_id",  # an id already used by an earlier record (input order)
)

# doc_id, text, source, meta, file, row, n_bytes: the order of schemas.tables.DOCUMENTS
DocRow = tuple[str, str, str, str | None, str, int, int]


@dataclass(frozen=True, slots=True)
class Reject:
    row: int
    reason: str
    detail: str
    excerpt: str
    doc_id: str | None = None

    def as_row(self, file: str) -> tuple:
        """Columns of schemas.tables.REJECTED."""
        return (file, self.row, self.reason, self.detail, self.excerpt, self.doc_id)


class RecordSpec:
    """IngestParams bound to one input file: field paths split once, defaults resolved."""

    def __init__(self, params: IngestParams, file: str, default_source: str):
        self.params, self.file, self.default_source = params, file, default_source
        self.text_path = params.text_field.split(".")
        self.id_path = params.id_field.split(".") if params.id_field else None
        self.source_path = params.source_field.split(".") if params.source_field else None
        paths = [p for p in (self.text_path, self.id_path, self.source_path) if p]
        self._top = {p[0] for p in paths if len(p) == 1}  # taken out of meta
        self._nested = [p for p in paths if len(p) > 1]
        # JSON escapes can take up to 6 bytes per text byte; a line past this is surely too large
        self.max_line_bytes = 6 * params.max_doc_bytes + 65536


_MISSING = object()


def _get(obj: dict, path: list[str]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _drop(obj: dict, path: list[str]) -> dict:
    """`obj` without the value at `path` (copies only the dicts on the path; empty parents go too)."""
    head, *tail = path
    if head not in obj or (tail and not isinstance(obj[head], dict)):
        return obj
    out = {k: v for k, v in obj.items() if k != head}
    if tail and (child := _drop(obj[head], tail)):
        out[head] = child
    return out


def _meta(obj: dict, spec: RecordSpec) -> str | None:
    """The record's other fields as JSON: what text/id/source took is not stored twice."""
    rest = {k: v for k, v in obj.items() if k not in spec._top}
    for path in spec._nested:
        rest = _drop(rest, path)
    if not rest:
        return None
    try:
        return json.dumps(rest, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8").decode()
    except UnicodeEncodeError:  # a lone surrogate in metadata: keep it, escaped
        return json.dumps(rest, sort_keys=True, default=str)


def hashed_id(file: str, row: int, text: str) -> str:
    """Content id for records that carry none: stable for the same file, row and text."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{file}\x00{row}\x00".encode())
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def _given_id(value: Any) -> str | Reject | None:
    if value is _MISSING or value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return Reject(0, "invalid_id", f"id is {type(value).__name__}; expected a string or integer", "")


def text_doc(
    text: str, row: int, spec: RecordSpec, doc_id: str | None, source: str, meta: str | None, raw: bytes | str
) -> DocRow | Reject:
    """Normalise and size-check one text; the shared tail of every record kind."""
    text = normalize(text)
    if not text.strip():
        return Reject(row, "empty_text", "text is empty or whitespace only", excerpt(raw), doc_id)
    try:
        n_bytes = len(text) if text.isascii() else len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        return Reject(row, "invalid_utf8", f"lone surrogate in text at char {e.start}", excerpt(raw), doc_id)
    if n_bytes > spec.params.max_doc_bytes:
        detail = f"text is {n_bytes:,} bytes; max_doc_bytes is {spec.params.max_doc_bytes:,}"
        return Reject(row, "too_large", detail, excerpt(raw), doc_id)
    return (doc_id or hashed_id(spec.file, row, text), text, source, meta, spec.file, row, n_bytes)


def from_mapping(obj: Any, row: int, spec: RecordSpec, raw: bytes | str) -> DocRow | Reject:
    """One parsed record (a JSON object or a Parquet row as a dict)."""
    if not isinstance(obj, dict):
        return Reject(row, "malformed_json", f"a JSON {type(obj).__name__}, not an object", excerpt(raw))
    doc_id = None
    if spec.id_path:
        doc_id = _given_id(_get(obj, spec.id_path))
        if isinstance(doc_id, Reject):
            return Reject(row, doc_id.reason, doc_id.detail, excerpt(raw))
    text = _get(obj, spec.text_path)
    if text is _MISSING or text is None:
        fields = ", ".join(sorted(obj)[:12]) or "none"
        detail = f"no '{spec.params.text_field}' field (fields: {fields})"
        return Reject(row, "missing_text", detail, excerpt(raw), doc_id)
    if isinstance(text, bytes):  # a binary Parquet column
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            return Reject(row, "invalid_utf8", f"byte {e.start} of the text is not UTF-8", excerpt(raw), doc_id)
    if not isinstance(text, str):
        detail = f"'{spec.params.text_field}' is {type(text).__name__}, not a string"
        return Reject(row, "non_string_text", detail, excerpt(raw), doc_id)
    source = _get(obj, spec.source_path) if spec.source_path else _MISSING
    source = spec.default_source if source is _MISSING or source is None or source == "" else str(source)
    return text_doc(text, row, spec, doc_id, source, _meta(obj, spec), raw)


def from_json_line(line: bytes, row: int, spec: RecordSpec) -> DocRow | Reject:
    """One JSONL line (without its newline)."""
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as e:
        return Reject(row, "invalid_utf8", f"byte {e.start} of the line is not UTF-8", excerpt(line))
    try:
        obj = json.loads(decoded)
    except ValueError as e:
        return Reject(row, "malformed_json", str(e), excerpt(decoded))
    return from_mapping(obj, row, spec, decoded)


def too_long_line(head: bytes, n_bytes: int, row: int, spec: RecordSpec) -> Reject:
    detail = f"line is {n_bytes:,} bytes; the JSONL line limit is {spec.max_line_bytes:,} (6 x max_doc_bytes + 64 KiB)"
    return Reject(row, "too_large", detail, excerpt(head))


def from_text_file(data: bytes, spec: RecordSpec) -> DocRow | Reject:
    """A whole .txt/.md file as one document (row 0)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return Reject(0, "invalid_utf8", f"byte {e.start} of the file is not UTF-8", excerpt(data))
    return text_doc(text, 0, spec, None, spec.default_source, None, data)
