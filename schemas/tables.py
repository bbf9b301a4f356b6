"""Arrow schemas of every table that crosses a stage boundary.

Declarations only. `io.read_table` checks a partition against the schema named in its ref.
"""

from __future__ import annotations

import pyarrow as pa

DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False, metadata={"doc": "stable id assigned at ingest"}),
        pa.field("text", pa.string(), nullable=False, metadata={"doc": "NFC-normalised, control chars stripped"}),
        pa.field("source", pa.string(), nullable=False, metadata={"doc": "source/label field, else file stem"}),
        pa.field("meta", pa.string(), metadata={"doc": "JSON object of the record's other fields"}),
        pa.field("file", pa.string(), nullable=False, metadata={"doc": "input file, relative to its input root"}),
        pa.field("row", pa.int64(), nullable=False, metadata={"doc": "1-based line (JSONL), 0-based row (Parquet)"}),
        pa.field("n_bytes", pa.int64(), nullable=False, metadata={"doc": "UTF-8 bytes of text"}),
    ]
)

REJECTED = pa.schema(
    [
        pa.field("file", pa.string(), nullable=False),
        pa.field("row", pa.int64(), nullable=False, metadata={"doc": "as in DOCUMENTS.row"}),
        pa.field("reason", pa.string(), nullable=False, metadata={"doc": "one of tasks.ingest.records.REASONS"}),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("excerpt", pa.string(), nullable=False, metadata={"doc": "start of the raw record"}),
        pa.field("doc_id", pa.string(), metadata={"doc": "the id, where one was read"}),
    ]
)

TABLES: dict[str, pa.Schema] = {"documents": DOCUMENTS, "rejected": REJECTED}
