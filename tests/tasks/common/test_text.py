import unicodedata

import pytest

from tasks.common.text import excerpt, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cafe\u0301", "caf\u00e9"),  # NFD -> NFC
        ("a\r\nb\rc", "a\nb\nc"),
        ("\ufeffstart", "start"),
        ("tab\tand\nnewline kept", "tab\tand\nnewline kept"),
        ("nul\x00 bell\x07 del\x7f c1\x85 gone", "nul bell del c1 gone"),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_is_idempotent_and_nfc():
    text = "Ame\u0301lie\r\n\x0cnext"
    once = normalize(text)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)


def test_excerpt_never_holds_unencodable_text():
    assert excerpt("a\ud800b").encode("utf-8") == b"a?b"
    assert excerpt(b"\xff\xfeok") == "\ufffd\ufffdok"
    assert excerpt({"k": "v"}) == '{"k": "v"}'
    assert len(excerpt("x" * 1000)) == 200
