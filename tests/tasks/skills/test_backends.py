"""Exported runtimes (OpenVINO, ONNX Runtime): close to fp32 torch, exported once per model content, a missing
package named."""

import numpy as np
import pytest

from tasks.skills import encoder
from tests.tasks.skills.test_encoder import LONG


@pytest.mark.parametrize(("backend", "precision"), [("openvino", "fp32"), ("openvino", "bf16"), ("onnx", "fp32"),
                                                    ("onnx", "int8")])  # fmt: skip
def test_an_exported_backend_embeds_like_fp32_torch(backend, precision, model_cache):
    texts = ["def add(a, b): return a + b", "Permission is hereby granted, free of charge", LONG,
             "Die Sonne ist ein Stern.", "x"]  # fmt: skip
    reference, ref_tokens = encoder.encode(texts, encoder.load())
    fast = encoder.load(encoder.DEFAULT_MODEL, "cpu", backend, precision)
    e, tokens = encoder.encode(texts, fast, batch_size=2)
    cosine = (e * reference).sum(axis=1)
    assert e.shape == (5, 384) and e.dtype == np.float32 and (tokens == ref_tokens).all()
    assert cosine.min() >= (0.98 if precision == "int8" else 0.999), cosine
    assert (model_cache / next(p.name for p in model_cache.iterdir())).is_dir()


def test_an_export_is_reused_and_redone_when_the_models_files_change(tmp_path, model_cache):
    import shutil

    from tasks.skills import backends

    copy = tmp_path / "minilm"
    shutil.copytree(encoder.model_path(encoder.DEFAULT_MODEL), copy)
    first, made = backends.ensure_export(copy, "openvino", "bf16")
    assert made and first.exists() and first.with_suffix(".bin").exists()
    again, made_again = backends.ensure_export(copy, "openvino", "bf16")
    assert again == first and not made_again  # exported once
    (copy / "tokenizer_config.json").write_text((copy / "tokenizer_config.json").read_text() + "\n")
    changed, made_changed = backends.ensure_export(copy, "openvino", "bf16")
    assert made_changed and changed.parent != first.parent  # new content, new export beside the old


def test_a_backend_whose_package_is_missing_is_named(monkeypatch):
    import importlib.util

    from tasks.skills import backends

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(backends.BackendUnavailableError, match=r"needs the package onnxruntime.*pip install"):
        backends.require("onnx")
    backends.require("openvino")  # present
