"""The byte-level BPE: trained deterministically, the user's loaded, EOS appended."""

import pytest

from tasks.common.errors import InputError
from tasks.tokens import bpe

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
