import numpy as np
import pytest

from tasks.skills import encoder


def test_missing_model_names_what_to_pass(tmp_path):
    with pytest.raises(encoder.ModelNotFoundError, match=r"'org/some-model' is not a local .*--model PATH"):
        encoder.model_path("org/some-model")
    with pytest.raises(encoder.ModelNotFoundError, match="no modules.json"):
        encoder.model_path(str(tmp_path))  # a directory, but no model in it


def test_bundled_minilm_embeds_offline_and_similar_texts_are_closer():
    model = encoder.load()
    texts = [
        "def add(a, b): return a + b",
        "def plus(x, y): return x + y",
        "Permission is hereby granted, free of charge",
    ]
    e = encoder.embed(texts, model)
    assert e.shape == (3, 384) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert e[0] @ e[1] > e[0] @ e[2] + 0.2
    assert encoder.load() is model  # loaded once per process
    assert encoder.embed([], model).shape == (0, 384)
