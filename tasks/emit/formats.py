"""Byte layouts of the token shards we write (../shared/REFERENCE.md section 3). Pure: arrays in, bytes out.

megatron   prefix.bin: token ids of every document back to back, no header; prefix.idx: magic
           MMIDIDX\\0\\0, version 1, dtype code, sequence and document counts, int32 lengths, int64 byte
           pointers, int64 document indices (one sequence per document), exactly as Megatron's
           IndexedDatasetBuilder writes them; uint16 when the vocabulary is < 65,500, else int32.
flat       headerless token ids (nanoGPT's train.bin): uint16 below 65,536 tokens of vocabulary, else uint32.
mds        MosaicML Streaming shard: uint32 sample count, uint32 offsets[n + 1], the config JSON, then the
           samples; one column `tokens` of encoding ndarray:<dtype>:<seq_len> (fixed size, raw values).
"""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np

MEGATRON_MAGIC = b"MMIDIDX\x00\x00"
MEGATRON_CODES = {
    np.dtype(t): code
    for t, code in (
        (np.uint8, 1),
        (np.int8, 2),
        (np.int16, 3),
        (np.int32, 4),
        (np.int64, 5),
        (np.float64, 6),
        (np.float32, 7),
        (np.uint16, 8),
    )
}
MEGATRON_DTYPES = {v: k for k, v in MEGATRON_CODES.items()}
MDS_SIZE_LIMIT = 1 << 26


def megatron_dtype(vocab_size: int) -> np.dtype:
    """Megatron's DType.optimal_dtype: uint16 below 65,500 tokens, else int32."""
    return np.dtype(np.uint16) if vocab_size < 65500 else np.dtype(np.int32)


def flat_dtype(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16) if vocab_size <= 65536 else np.dtype(np.uint32)


def megatron_bin(docs: list[np.ndarray], dtype: np.dtype) -> bytes:
    return b"".join(np.asarray(d, dtype).tobytes() for d in docs)


def megatron_idx(lengths: np.ndarray, dtype: np.dtype) -> bytes:
    """The .idx of documents with these token counts (one sequence per document)."""
    lengths = np.asarray(lengths, np.int64)
    pointers = np.concatenate([[0], np.cumsum(lengths * dtype.itemsize)[:-1]]).astype(np.int64)
    doc_idx = np.arange(len(lengths) + 1, dtype=np.int64)
    header = MEGATRON_MAGIC + struct.pack("<Q", 1) + struct.pack("<B", MEGATRON_CODES[dtype])
    header += struct.pack("<Q", len(lengths)) + struct.pack("<Q", len(doc_idx))
    return header + lengths.astype(np.int32).tobytes() + pointers.tobytes() + doc_idx.tobytes()


def read_megatron_idx(data: bytes) -> dict:
    """Parse an .idx: dtype, lengths, pointers, document indices (raises ValueError on a malformed one)."""
    if data[:9] != MEGATRON_MAGIC or struct.unpack("<Q", data[9:17])[0] != 1:
        raise ValueError("not a Megatron .idx (magic or version)")
    dtype = MEGATRON_DTYPES[data[17]]
    s, d = struct.unpack("<Q", data[18:26])[0], struct.unpack("<Q", data[26:34])[0]
    if len(data) != 34 + 12 * s + 8 * d:
        need = 34 + 12 * s + 8 * d
        raise ValueError(f".idx is {len(data)} bytes; {s} sequences and {d} document indices need {need}")
    lengths = np.frombuffer(data, np.int32, s, 34)
    pointers = np.frombuffer(data, np.int64, s, 34 + 4 * s)
    doc_idx = np.frombuffer(data, np.int64, d, 34 + 12 * s)
    return {"dtype": dtype, "lengths": lengths, "pointers": pointers, "document_indices": doc_idx}


def mds_encoding(dtype: np.dtype, seq_len: int) -> str:
    return f"ndarray:{dtype.name}:{seq_len}"


def mds_config(dtype: np.dtype, seq_len: int) -> dict:
    return {"column_encodings": [mds_encoding(dtype, seq_len)], "column_names": ["tokens"],
            "column_sizes": [dtype.itemsize * seq_len], "compression": None, "format": "mds",
            "hashes": [], "size_limit": MDS_SIZE_LIMIT, "version": 2}  # fmt: skip


def mds_shard(samples: np.ndarray, dtype: np.dtype) -> bytes:
    """One .mds shard of fixed-length token samples (rows of `samples`)."""
    n, seq_len = samples.shape
    config = json.dumps(mds_config(dtype, seq_len), sort_keys=True).encode()
    size = dtype.itemsize * seq_len
    start = 4 + 4 * (n + 1) + len(config)
    offsets = start + size * np.arange(n + 1, dtype=np.uint32)
    return struct.pack("<I", n) + offsets.astype("<u4").tobytes() + config + samples.astype(dtype).tobytes()


def mds_index_entry(basename: str, data: bytes, samples: int, dtype: np.dtype, seq_len: int) -> dict:
    """One shard's entry in MDS index.json (keys sorted, as MDSWriter writes them)."""
    return {**mds_config(dtype, seq_len), "raw_data": {"basename": basename, "bytes": len(data), "hashes": {}},
            "samples": samples, "zip_data": None}  # fmt: skip


def mds_samples(data: bytes) -> int:
    return struct.unpack("<I", data[:4])[0]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
