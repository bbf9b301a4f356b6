"""Quality statistics by hand on small texts, and the degenerate documents (no letters, only whitespace, one line)."""

import numpy as np
import pytest

from schemas.tables import QUALITY_STATS
from tasks.quality import stats


def one(text: str) -> dict:
    return {k: v[0].item() for k, v in stats.compute([text]).items()}


def test_every_column_is_computed_with_its_dtype_for_every_text():
    texts = ["The cat sat on the mat. It was happy.", "x", "Der Hund."]
    out = stats.compute(texts)
    assert list(out) == list(QUALITY_STATS)
    for name, (dtype, _) in QUALITY_STATS.items():
        assert out[name].dtype == np.dtype(dtype) and len(out[name]) == len(texts), name


@pytest.mark.parametrize("text", ["", " \n\t\n  ", "\n\n\n"])
def test_only_whitespace_gives_zeros_not_errors(text):
    s = one(text)
    assert all(np.isfinite(v) for v in s.values())
    assert s["words"] == s["non_symbol_words"] == s["stop_words"] == s["fw_lines"] == s["c4_kept_lines"] == 0
    assert s["mean_word_length"] == s["alpha_words"] == s["fw_line_punct"] == s["fw_list_ratio"] == 0.0
    assert s["c4_lorem_line"] == s["c4_curly_line"] == -1 and s["c4_sentences"] == 0


def test_no_letters_has_words_but_no_alphabetic_ones():
    s = one("123 456 789 !!! ### 42")
    assert s["words"] >= 5 and s["alpha_words"] == 0.0 and s["stop_words"] == 0
    assert s["non_symbol_words"] == 4  # 123 456 789 42; !!! and ### are symbol words
    assert s["hash_ratio"] == pytest.approx(3 / s["words"])
    assert s["fw_lines"] == 1 and s["fw_line_punct"] == 0.0  # "42" is not terminal punctuation


def test_a_single_line_has_no_duplicates_and_one_line_everywhere():
    text = "The quick brown fox jumps over the lazy dog and that is all of it."
    s = one(text)
    assert s["c4_lines"] == s["fw_lines"] == 1 and s["c4_kept_lines"] == 1 and s["c4_sentences"] == 1
    assert s["dup_line_frac"] == s["dup_para_frac"] == s["dup_line_char_frac"] == s["fw_char_dup"] == 0.0
    assert s["fw_line_punct"] == 1.0 and s["fw_short_lines"] == 0.0 and s["fw_list_ratio"] == 0.0
    assert s["stop_words"] == 4  # the, and, that, of


def test_line_and_paragraph_duplicates_by_count_and_characters():
    text = "alpha beta\nalpha beta\ngamma\n\nalpha beta\ngamma"
    s = one(text)
    # lines (split on \n+): alpha beta, alpha beta, gamma, alpha beta, gamma -> 3 duplicates of 5
    assert s["dup_line_frac"] == pytest.approx(3 / 5)
    assert s["dup_line_char_frac"] == pytest.approx((10 + 10 + 5) / len(text))
    # paragraphs: "alpha beta\nalpha beta\ngamma", "alpha beta\ngamma" -> none repeated
    assert s["dup_para_frac"] == 0.0
    # FineWeb: the same lines, duplicates' characters over the text without newlines
    assert s["fw_char_dup"] == pytest.approx(25 / (len(text) - text.count("\n")))


def test_top_and_duplicated_ngrams_by_hand():
    w = ["a", "b", "a", "b", "a", "b", "c"]
    # top 2-gram "a b" x 3: 3 characters each
    assert stats._top_ngram(w, 2) == 3 * 3
    # 5-grams joined without spaces: ababa, babab, ababc -> none repeated
    assert stats._dup_ngram(w, 5) == 0
    w = ["x", "y", "z", "w", "v", "x", "y", "z", "w", "v", "x", "y", "z", "w", "v"]
    # 5-grams: xyzwv at 0, then yzwvx, zwvxy, wvxyz, vxyzw, xyzwv repeats at 5 (+5, jump to 10), xyzwv at 10 (+5)
    assert stats._dup_ngram(w, 5) == 10


def test_c4_line_rules_and_the_first_lines_that_drop_a_document():
    lines = [
        "Short line.",  # fewer than 3 words: dropped
        "This line has no end punctuation",  # dropped
        "We use cookies on this website to help you.",  # policy: dropped
        "Enable javascript to view { this } page.",  # javascript: dropped before the curly check
        "A function body looks like { return 1; }.",  # kept, and the first curly line (4)
        "Lorem ipsum dolor sit amet, consectetur.",  # kept, the first lorem line (5)
        "This is a sentence. And this is another one!",  # kept, two sentences
    ]
    s = one("\n".join(lines))
    assert s["c4_lines"] == 7 and s["c4_kept_lines"] == 3
    assert s["c4_curly_line"] == 4 and s["c4_lorem_line"] == 5
    assert s["c4_sentences"] == 1 + 1 + 2


def test_bullets_ellipses_and_stop_words_are_case_sensitive():
    text = "- one\n- two\n• three\nThe end...\nthe of"
    s = one(text)
    assert s["bullet_lines"] == pytest.approx(3 / 5) and s["ellipsis_lines"] == pytest.approx(1 / 5)
    assert s["stop_words"] == 2  # "the" and "of"; "The" is not a stop word


def test_the_same_texts_give_the_same_statistics():
    texts = ["Some text here.\nMore text.", "Another one, with words and the end."] * 3
    a, b = stats.compute(texts), stats.compute(texts)
    assert all(np.array_equal(a[k], b[k]) for k in a)
