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


def test_length_sorted_encode_equals_plain_embedding_and_counts_word_pieces():
    model = encoder.load()
    texts = ["short", "a somewhat longer sentence about planets and orbits", "mid length text here", "x " * 400]
    seen = []
    e, tokens = encoder.encode(texts, model, batch_size=2, chunk=3, on_progress=seen.append)
    plain = np.stack([encoder.embed([t], model)[0] for t in texts])  # one at a time: no padding at all
    np.testing.assert_allclose(e, plain, atol=1e-5)
    assert seen == [3, 4] and tokens[0] == 3 and tokens[3] == 402  # [CLS] short [SEP]; 400 x's, not truncated


def test_encode_waits_while_another_thread_uses_the_same_model():
    """Threads of a Dask worker share the process's model; its fast tokenizer keeps truncation and padding
    settings between calls, so concurrent encodes raced (a batch left unpadded: 'expected sequence of length
    53 ... got 55', seen in the crash-recovery test's multi-partition run). Callers now take turns."""
    import threading

    model = encoder.load()
    done = threading.Event()
    with encoder._IN_USE[id(model)]:  # another caller holds the model
        t = threading.Thread(target=lambda: (encoder.encode(["a text", "another text"], model), done.set()))
        t.start()
        assert not done.wait(1.0)
    t.join(30)
    assert done.is_set()


def test_model_identity_follows_its_files(tmp_path):
    src = encoder.model_path(encoder.DEFAULT_MODEL)
    copy = tmp_path / "model"
    copy.mkdir()
    for f in ("modules.json", "config.json", "sentence_bert_config.json"):
        (copy / f).write_bytes((src / f).read_bytes())
    first = encoder.identity(str(copy))
    assert encoder.identity(str(copy)) == first and encoder.default_max_seq_length(str(copy)) == 256
    (copy / "config.json").write_text((src / "config.json").read_text().replace("384", "385"))
    assert encoder.identity(str(copy)) != first


LONG = ("The orbit of a comet is an ellipse around the sun. " * 12 + "Bake the dough in a hot oven until golden. " * 12
        + "A compiler turns source code into machine code. " * 12)  # fmt: skip


def test_chunks_are_windows_of_word_pieces_spread_over_the_text():
    model = encoder.load()
    pieces, owner, tokens = encoder.chunk_texts([LONG, "short text", ""], model.tokenizer, length=34, max_chunks=4)
    ids = model.tokenizer(LONG, add_special_tokens=False)["input_ids"]
    n_windows = -(-len(ids) // 32)  # 32 word pieces per window: [CLS] and [SEP] take two of the 34
    assert n_windows > 4 and tokens[0] == len(ids) + 2 and tokens[1] == 4 and tokens[2] == 2
    assert owner.tolist() == [0, 0, 0, 0, 1, 2] and pieces[4:] == ["short text", ""]
    assert pieces[0].startswith("The orbit") and LONG.rstrip().endswith(pieces[3])  # the first and the last
    for p in pieces[:4]:
        assert p in LONG and len(model.tokenizer(p, add_special_tokens=False)["input_ids"]) <= 32


def test_chunk_pooling_is_the_normalised_mean_of_the_windows_embeddings():
    model = encoder.load()
    texts = [LONG, "a short text about planets"]
    pooled, _ = encoder.encode(texts, model, max_seq_length=34, pooling="chunks", max_chunks=3)
    pieces, owner, _ = encoder.chunk_texts(texts, model.tokenizer, 34, 3)
    by_hand = []
    for i in range(len(texts)):
        e = np.stack([encoder.embed([p], model)[0] for p, o in zip(pieces, owner, strict=True) if o == i])
        mean = e.mean(axis=0)
        by_hand.append(mean / np.linalg.norm(mean))
    np.testing.assert_allclose(pooled, np.stack(by_hand), atol=1e-5)
    first, _ = encoder.encode(texts, model, max_seq_length=34)
    assert pooled[0] @ first[0] < 0.95 and pooled[1] @ first[1] > 0.999  # whole text vs its start; one window
    model.max_seq_length = 256
