"""Fast CPU runtimes for a sentence-transformers model: OpenVINO and ONNX Runtime, exported once, offline.

sentence-transformers' own `backend="onnx"|"openvino"` goes through Optimum, whose packages cap
`transformers` below the version pinned here (optimum-onnx 0.1.0: <4.58; optimum-intel 2.2.0: <5.6), so
the export is done directly: the model's transformer (inputs input_ids, attention_mask, token_type_ids;
output the last hidden state; dynamic batch and length) is converted by `openvino.convert_model` or
`torch.onnx.export`, and mean pooling and L2 normalisation run in numpy, as the model's own modules do.
ONNX int8 is `onnxruntime.quantization.quantize_dynamic` of the MatMul weights, per channel.

Exports are cached under `cache_root()` in a directory named by a hash of every model file's content, so a
model is exported once, and a changed file (new weights, another tokenizer) gets a new export. An export is
written to a temporary directory and renamed into place, so concurrent workers never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tasks.common.errors import InputError

BACKENDS = ("torch", "onnx", "openvino")
PACKAGES = {"onnx": ("onnxruntime", "onnx"), "openvino": ("openvino",)}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class BackendUnavailableError(InputError):
    """The backend's package is not installed, or the model cannot run on it."""


def require(backend: str) -> None:
    """Raise naming the missing package when `backend` cannot be imported here (checked before any work)."""
    import importlib.util

    missing = [p for p in PACKAGES.get(backend, ()) if importlib.util.find_spec(p) is None]
    if missing:
        extra = "skillmix[onnx]" if backend == "onnx" else " ".join(missing)
        raise BackendUnavailableError(
            f"--backend {backend} needs the package {', '.join(missing)}, which is not installed: "
            f"pip install {extra}, or choose --backend torch"
        )


def cache_root() -> Path:
    """Where exports live: $SKILLMIX_MODEL_CACHE, else ~/.cache/skillmix/models."""
    return Path(os.environ.get("SKILLMIX_MODEL_CACHE") or Path.home() / ".cache" / "skillmix" / "models")


@lru_cache(maxsize=16)
def _content_hash(root: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(f"{f.relative_to(root).as_posix()}\n".encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def content_hash(model_dir: Path) -> str:
    """16 hex chars over every file's bytes (memoised per process by the files' sizes and mtimes)."""
    files = sorted(p for p in model_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _content_hash(str(model_dir), stamp)


def export_dir(model_dir: Path) -> Path:
    """The cache directory of `model_dir`'s exports: its parent's and its own name, and its content hash
    (the bundled MiniLM lives in a folder named `model` inside its package)."""
    return cache_root() / f"{model_dir.parent.name}-{model_dir.name}-{content_hash(model_dir)}"


def artefact(backend: str, precision: str) -> str:
    """File name of the export a backend and precision run (int8 is an ONNX Runtime variant)."""
    if backend == "openvino":
        return "openvino_model.xml"
    return "model_qint8.onnx" if precision == "int8" else "model.onnx"


def ensure_export(model_dir: Path, backend: str, precision: str) -> tuple[Path, bool]:
    """(path of the exported model, whether it was exported now): made once per model content and reused."""
    require(backend)
    _check_pooling(model_dir)
    root = export_dir(model_dir)
    path = root / artefact(backend, precision)
    if path.exists():
        return path, False
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=root))
    try:
        with warnings.catch_warnings():  # tracing warnings of the model's code, about shapes it handles
            warnings.simplefilter("ignore")
            if backend == "openvino":
                _export_openvino(model_dir, tmp / path.name)
            else:
                onnx = root / "model.onnx"
                if not onnx.exists():
                    _export_onnx(model_dir, tmp / "model.onnx")
                    _publish(tmp / "model.onnx", onnx)
                if precision == "int8":
                    _quantize(onnx, tmp / path.name)
        if not path.exists():
            _publish(tmp / path.name, path, ".bin" if backend == "openvino" else None)
        (root / "export.json").write_text(
            json.dumps(
                {
                    "model": str(model_dir),
                    "hash": root.name.rsplit("-", 1)[1],
                    "files": sorted(p.name for p in root.iterdir() if not p.name.startswith(".")),
                },
                indent=1,
            )
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path, True


def _publish(src: Path, dst: Path, sidecar: str | None = None) -> None:
    """Rename into place (the weights' sidecar first, so a visible .xml always has its .bin)."""
    if sidecar:
        os.replace(src.with_suffix(sidecar), dst.with_suffix(sidecar))
    os.replace(src, dst)


def _check_pooling(model_dir: Path) -> None:
    """The exported runtimes pool by the mean over word pieces: refuse a model whose own pooling differs."""
    for cfg in model_dir.glob("*_Pooling/config.json"):
        mode = json.loads(cfg.read_text())
        if not mode.get("pooling_mode_mean_tokens") or any(
            v for k, v in mode.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
        ):
            raise BackendUnavailableError(f"{model_dir}: the onnx and openvino backends run mean-pooling models "
                                          f"only ({cfg} says otherwise): use --backend torch")  # fmt: skip


def _transformer(model_dir: Path) -> Any:
    """The model's transformer as a module of (input_ids, attention_mask, token_type_ids) -> last hidden state."""
    import torch
    from transformers import AutoModel

    base = AutoModel.from_pretrained(str(model_dir)).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.base(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state  # fmt: skip

    return Hidden()


def _example(model_dir: Path) -> dict:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    return dict(tok(["an example text", "another"], padding=True, return_tensors="pt"))


def _export_openvino(model_dir: Path, xml: Path) -> None:
    import openvino as ov
    import torch

    with torch.no_grad():
        example = _example(model_dir)
        converted = ov.convert_model(_transformer(model_dir), example_input={k: example[k] for k in INPUTS})
    ov.save_model(converted, str(xml), compress_to_fp16=False)  # fp32 weights; bf16 is chosen when compiling


def _export_onnx(model_dir: Path, out: Path) -> None:
    import torch

    example = _example(model_dir)
    axes = {name: {0: "batch", 1: "length"} for name in (*INPUTS, "last_hidden_state")}
    with torch.no_grad():
        torch.onnx.export(_transformer(model_dir), tuple(example[k] for k in INPUTS), str(out),
                          input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)  # fmt: skip


def _quantize(onnx: Path, out: Path) -> None:
    """int8 MatMul weights, per channel: every op quantised loses too much (cosine 0.925 measured)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # 'consider pre-processing'
    quantize_dynamic(str(onnx), str(out), per_channel=True, op_types_to_quantize=["MatMul"],
                     weight_type=QuantType.QInt8)  # fmt: skip


class ExportedModel:
    """An exported transformer plus the model's tokenizer: the part of SentenceTransformer `encoder` uses
    (`tokenizer`, `max_seq_length`, `get_embedding_dimension`, `encode`), mean-pooled and normalised."""

    def __init__(self, model_dir: Path, path: Path, backend: str, precision: str,
                 threads: int | None = None) -> None:  # fmt: skip
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        config = json.loads((model_dir / "config.json").read_text())
        self.dim = int(config["hidden_size"])
        self.max_seq_length = _default_length(model_dir)
        self.backend, self.precision, self.path = backend, precision, path
        run = _openvino(path, precision, threads) if backend == "openvino" else _onnxruntime(path, threads)
        self._run = run

    def get_embedding_dimension(self) -> int:
        return self.dim

    def encode(self, texts: list[str], batch_size: int = 64, normalize_embeddings: bool = True,
               show_progress_bar: bool = False) -> np.ndarray:  # fmt: skip
        """(len(texts), dim) float32: batches of similar length, mean over real word pieces, L2-normalised."""
        out = np.empty((len(texts), self.dim), np.float32)
        lengths = [len(t) for t in texts]
        order = np.argsort(-np.asarray(lengths), kind="stable")
        for lo in range(0, len(texts), batch_size):
            idx = order[lo : lo + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], truncation=True, max_length=self.max_seq_length,
                                 padding=True, return_tensors="np")  # fmt: skip
            feed = {k: enc[k].astype(np.int64) for k in INPUTS if k in enc}
            feed.setdefault("token_type_ids", np.zeros_like(feed["input_ids"]))
            out[idx] = mean_pool(self._run(feed), feed["attention_mask"], normalize_embeddings)
        return out


def mean_pool(hidden: np.ndarray, mask: np.ndarray, normalize: bool = True) -> np.ndarray:
    """(batch, dim): the mean of `hidden` (batch, length, dim) over positions where `mask` is 1."""
    m = mask[..., None].astype(np.float32)
    pooled = (hidden.astype(np.float32) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    if normalize:
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled


def _default_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length") or 512) if config.exists() else 512


def _openvino(path: Path, precision: str, threads: int | None) -> Any:
    import openvino as ov

    config = {"INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32", "PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    compiled = ov.Core().compile_model(str(path), "CPU", config)
    # After an OpenVINO inference, a multi-threaded OpenBLAS call in the same process can stall for minutes on 2
    # cores (OpenVINO's worker threads keep the cores; seen in scipy's LU under TruncatedSVD). One BLAS thread per
    # process that embeds with OpenVINO avoids it; Dask already runs one such process per core.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    return lambda feed: compiled(feed)[0]


def _onnxruntime(path: Path, threads: int | None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda feed: session.run(None, feed)[0]
