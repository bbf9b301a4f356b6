"""Format statistics: the columns set beside an embedding for format-aware skills."""

import numpy as np
import pytest

from tasks.skills import formats

PROSE = "The committee met on Tuesday. It agreed to publish the report! Was it late? No.\n\nA second paragraph."
CODE = "def f(x):\n    return x * 2\n\n\nclass A:\n    pass\n    # 42 = 0x2a\n"


def test_format_statistics_by_hand():
    f = dict(zip(formats.NAMES, formats.stats([CODE])[0], strict=True))
    nonblank = [line for line in CODE.split("\n") if line.strip()]  # 5 lines, 3 of them indented
    assert f["indented"] == pytest.approx(3 / 5) and f["blank_lines"] == pytest.approx(1 - 5 / 8)
    assert f["digits"] == pytest.approx(sum(c.isdigit() for c in CODE) / len(CODE))
    assert f["sentence_ends"] == 0 and f["non_ascii"] == 0 and f["length"] == pytest.approx(np.log1p(len(CODE)))
    assert len(nonblank) == 5 and formats.stats([]).shape == (0, 12)


def test_prose_and_code_differ_where_a_reader_would_expect():
    prose, code = formats.stats([PROSE, CODE])
    i = {n: j for j, n in enumerate(formats.NAMES)}
    assert prose[i["sentence_ends"]] > 0.9 and code[i["sentence_ends"]] == 0
    assert code[i["indented"]] > prose[i["indented"]] and code[i["punctuation"]] > prose[i["punctuation"]]
    assert formats.stats(["Grüße aus Köln"])[0, i["non_ascii"]] == pytest.approx(3 / 14)


def test_standardised_columns_have_the_weight_as_their_typical_norm():
    f = np.random.default_rng(0).normal(3.0, 2.0, size=(5000, 12))
    z = formats.standardise(f, f.mean(axis=0), f.std(axis=0), weight=0.4)
    assert z.dtype == np.float32 and np.sqrt((z**2).sum(axis=1).mean()) == pytest.approx(0.4, rel=0.01)
