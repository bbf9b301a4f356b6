"""Parity with DataTrove (a test-only dependency): on the same documents, each preset's keep decision and drop
reason equal DataTrove's filter's, the word tokens, duplicate counts and punctuation sets equal its helpers', and
the language and its score equal DataTrove's LanguageFilter's when it reads the same model file.

The documents: a sample of the offline sample corpus (real docs, READMEs, licenses and code from this Python
installation), texts made to hit each rule, and the degenerate ones."""

import numpy as np
import pytest

from schemas.config import QualityRule, SampleCorpusParams
from tasks.quality import langid, punctuation, rules, stats
from tasks.sample import corpus

datatrove = pytest.importorskip("datatrove")
from datatrove.data import Document  # noqa: E402
from datatrove.pipeline.filters import (  # noqa: E402
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.filters import gopher_repetition_filter as rep  # noqa: E402
from datatrove.utils import text as dt_text  # noqa: E402

MADE = [
    "\n".join(["- an item of the list"] * 12),
    "Same line repeated here.\n" * 20 + "The end of it, and that is that.",
    "#tag #more #hash words " * 30,
    "Wait for it... " * 40 + "\nand then... \nmore...\n",
    "This line is fine and ends well.\n{ not punctuated\n" + "The rest is prose, with the words of English. " * 20,
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n" + "A proper sentence with the end. " * 10,
    "Please enable JavaScript in your browser to see this site.\n" + "We have the things that you need. " * 10,
    "Read our privacy policy before you go.\nSee [1] and [edit] here.\n" + "It was the best of times. " * 20,
    "x" * 1200 + " is a very long word.\n" + "The cat sat with the dog and the bird. " * 20,
    "Der Hund und die Katze sind im Garten. " * 30,
    "这是一个中文句子。我们在这里测试。" * 20,
    "1234 5678 9012 !!!! ????",
    "one single line with the words of it and to be.",
    "short\nlines\nonly\nhere\n" * 10,
]
FILTERS = {"gopher_repetition": GopherRepetitionFilter, "gopher_quality": GopherQualityFilter,
           "c4": C4QualityFilter, "fineweb": FineWebQualityFilter}  # fmt: skip


@pytest.fixture(scope="module")
def texts() -> list[str]:
    recs = corpus.records(SampleCorpusParams())
    picked = [r["text"] for r in recs[:: max(1, len(recs) // 40)]]  # every domain, about 40 documents
    return picked + MADE


@pytest.fixture(scope="module")
def ours(texts):
    st = stats.compute(texts)
    st["language"], st["language_score"] = map(np.asarray, langid.predict(texts))
    return st


def _theirs(name: str, text: str) -> str:
    doc = Document(text=text, id="x")
    try:
        out = FILTERS[name]().filter(doc)
    except ZeroDivisionError:  # DataTrove divides by the word count of a text without words
        return "ZeroDivisionError"
    return "" if out is True else f"{name}/{out[1]}"


@pytest.mark.parametrize("preset", list(FILTERS))
def test_each_presets_decision_and_reason_equal_datatroves(preset, texts, ours):
    _, reason = rules.decide((QualityRule(preset=preset),), ours, np.asarray(["web"] * len(texts), object))
    theirs = [_theirs(preset, t) for t in texts]
    mismatches = [(i, a, b) for i, (a, b) in enumerate(zip(theirs, reason, strict=True)) if a != b]
    assert not mismatches, mismatches[:5]
    assert 0 < sum(1 for r in theirs if r) < len(texts)  # the documents exercise the filter both ways


def test_words_and_duplicate_counts_equal_datatroves_helpers(texts, ours):
    for i, t in enumerate(texts):
        w = stats.words(t)
        assert w == dt_text.split_into_words(t), i
        assert stats.duplicates(t.split("\n")) == rep.find_duplicates(t.split("\n"))
        for n in stats.TOP_NGRAMS:
            grams = rep.get_n_grams(w, n)
            assert stats._top_ngram(w, n) == (rep.find_top_duplicate(grams) if grams else 0)
        for n in stats.DUP_NGRAMS:
            assert stats._dup_ngram(w, n) == rep.find_all_duplicate(w, n)
        assert ours["words"][i] == len(w)


def test_punctuation_is_datatroves():
    assert punctuation.PUNCTUATION == dt_text.PUNCTUATION
    assert punctuation.TERMINAL_PUNCTUATION == dt_text.TERMINAL_PUNCTUATION
    assert punctuation.PUNCTUATION_SET == dt_text.PUNCTUATION_SET


def test_language_and_score_equal_datatroves_language_filter_on_the_same_model(texts, ours, monkeypatch):
    pytest.importorskip("fasteners")  # LanguageFilter's own requirement
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.utils import _import_utils, lid

    # DataTrove asks for the distribution fasttext-numpy2-wheel; fasttext-predict provides the same `fasttext` module
    monkeypatch.setattr(_import_utils, "_is_distribution_available", lambda name: True)
    monkeypatch.setattr(lid, "cached_asset_path_or_download", lambda *a, **k: str(langid.model_path()))
    f = LanguageFilter(languages=None)

    class NumpyScores:  # fasttext-predict returns floats where DataTrove expects fastText's numpy array
        def predict(self, text, k=1):
            labels, scores = langid._model().predict(text, k=k)
            return labels, np.asarray(scores)

    f.model._model = NumpyScores()
    for i, t in enumerate(texts):
        if not t.strip():
            continue
        doc = Document(text=t, id="x")
        f.filter(doc)
        assert doc.metadata["language"] == ours["language"][i]
        assert doc.metadata["language_score"] == float(ours["language_score"][i])
