import numpy as np
import pytest

from schemas.manifest import SCHEMA_PATH, schema_text
from tasks.common.errors import InputError
from tasks.mixing import training_free
from tasks.tokens import bpe, stats

TEXTS = ["def add(a, b):\n    return a + b\n", "The quick brown fox jumps over the lazy dog.", "café naïve résumé"] * 5


def test_trained_bpe_is_byte_level_deterministic_and_eos_is_id_0():
    a, b = bpe.train(TEXTS, 300), bpe.train(TEXTS, 300)
    assert bpe.to_str(a) == bpe.to_str(b) and bpe.eos_id(a) == 0
    ids = bpe.encode(["café 😀 unseen"], a, 0)[0]
    assert ids[-1] == 0 and 0 not in ids[:-1] and a.decode(ids[:-1].tolist()) == "café 😀 unseen"  # nothing unknown


def test_a_users_tokenizer_loads_and_a_missing_eos_is_named(tmp_path):
    tok = bpe.train(TEXTS, 300, eos="</s>")
    (tmp_path / "tok").mkdir()
    (tmp_path / "tok" / "tokenizer.json").write_text(tok.to_str())
    assert bpe.eos_id(bpe.load(str(tmp_path / "tok"), eos="</s>"), "</s>") == 0
    with pytest.raises(InputError, match=r"no token '<\|endoftext\|>'; pass --eos-token"):
        bpe.load(str(tmp_path / "tok" / "tokenizer.json"))
    with pytest.raises(InputError, match="no tokenizer.json there"):
        bpe.load(str(tmp_path / "nothing"))


def test_counts_keep_bigrams_inside_sequences():
    uni, bi, counts = stats.count([np.array([1, 2, 3, 0]), np.array([1, 2, 0])], vocab_size=5, seq_len=4)
    assert uni.tolist() == [2, 2, 2, 1, 0]
    pairs = {(int(c) // 5, int(c) % 5): int(n) for c, n in zip(bi, counts, strict=True)}
    assert pairs == {(1, 2): 2, (2, 3): 1, (3, 0): 1, (2, 0): 1}  # (0, 1) crosses the boundary at token 4
    merged = stats.merge([(uni, bi, counts), (uni, bi, counts)])
    assert merged[0].tolist() == (2 * uni).tolist() and merged[2].sum() == 2 * counts.sum()


def test_entropies_of_known_distributions():
    uni = np.array([1, 1, 1, 1])
    codes = np.array([0 * 4 + 1, 1 * 4 + 0], np.uint64)  # 0 -> 1 and 1 -> 0: the next token is certain
    h = stats.entropies(uni, codes, np.array([5, 5]), 4)
    assert h["shannon"] == pytest.approx(np.log(4)) and h["joint"] == pytest.approx(np.log(2))
    assert h["conditional"] == pytest.approx(0.0)
    assert stats.von_neumann(np.eye(8)) == pytest.approx(np.log(8))  # orthogonal: maximal
    assert stats.von_neumann(np.tile([[0.6, 0.8]], (5, 1))) == pytest.approx(0.0)  # identical: none


def test_training_free_mixtures_sum_to_one_and_have_their_limits():
    tokens = np.array([100.0, 300.0, 600.0])
    assert training_free.natural(tokens).tolist() == pytest.approx([0.1, 0.3, 0.6])
    assert training_free.stratified(4).tolist() == [0.25] * 4
    assert training_free.temperature(tokens, 1.0) == pytest.approx(training_free.natural(tokens))
    assert training_free.temperature(tokens, 1e6) == pytest.approx(training_free.stratified(3), abs=1e-5)
    w = training_free.entropy(np.array([1.0, 2.0, 3.0]))
    assert w.sum() == pytest.approx(1.0) and w[2] / w[1] == pytest.approx(np.e)  # r_i ~ exp(H_i)
    with pytest.raises(ValueError, match="no tokens"):
        training_free.natural(np.zeros(3))


def test_the_committed_manifest_schema_is_the_generated_one():
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -m schemas.manifest"


def test_a_skill_with_no_tokens_is_named(tmp_path, monkeypatch):
    from schemas.config import EmitParams
    from tasks.shards import stage as shards_stage

    tokens = {"fingerprint": "t1", "skills": []}
    skills = [{"skill": 0, "label": "code", "tokens": 10}, {"skill": 1, "label": "empty, none", "tokens": 0}]
    mixture = {"fingerprint": "m1", "provenance": {"tokens": "t1"}, "skills": skills}
    monkeypatch.setattr(shards_stage.tokens_stage, "latest", lambda run: ("uri", {"summary": tokens, "partitions": []}))
    monkeypatch.setattr(shards_stage.mixing_stage, "latest", lambda run: mixture)
    with pytest.raises(InputError, match=r"skill 1 \(empty, none\) has no tokens"):
        shards_stage.plan(str(tmp_path), EmitParams())
