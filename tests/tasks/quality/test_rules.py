"""Rules over the statistics: the first failed check names the drop, sources restrict a rule, C4's line order,
language; and the rule specs a user types, refused by name when bad."""

import numpy as np
import pytest
from pydantic import ValidationError

from schemas.config import LID176, QualityParams, QualityRule
from tasks.quality import langid, rules, stats

TEXTS = [
    "The cat and the dog. " * 30,  # fine prose, 180 words
    "word " * 10,  # short
    "This is about {curly} things.\n" * 3 + "Lorem ipsum dolor sit amet and more.\n",  # curly first
    "Lorem ipsum dolor sit amet and more.\nThis is about {curly} things.\n",  # lorem first
]


def decide(rule_list, texts=TEXTS, sources=None):
    st = stats.compute(texts)
    st["language"], st["language_score"] = map(np.asarray, langid.predict(texts))
    return rules.decide(tuple(rule_list), st, np.asarray(sources or ["web"] * len(texts), object))


def test_no_rules_keep_everything():
    keep, reason = decide([])
    assert keep.all() and set(reason) == {""}


def test_the_first_failed_check_is_the_reason_and_later_rules_do_not_overwrite_it():
    keep, reason = decide([QualityRule(preset="gopher_quality"), QualityRule(preset="c4")])
    assert reason[1] == "gopher_quality/gopher_short_doc"  # short, and also too few C4 sentences
    assert not keep[1] and keep.sum() == (reason == "").sum()


def test_c4_drops_at_whichever_of_lorem_ipsum_and_curly_bracket_comes_first():
    _, reason = decide([QualityRule(preset="c4")])
    assert reason[2] == "c4/curly_bracket" and reason[3] == "c4/lorem_ipsum"
    _, reason = decide([QualityRule(preset="c4", thresholds={"filter_curly_bracket": 0})])
    assert reason[2] == "c4/lorem_ipsum"  # with the curly rule off, the later lorem line decides


def test_a_rule_with_sources_leaves_other_sources_alone():
    sources = ["web", "code", "web", "code"]
    keep, reason = decide([QualityRule(preset="gopher_quality", sources=("code",))], sources=sources)
    assert reason[1] == "gopher_quality/gopher_short_doc" and keep[0] and keep[2]


def test_language_rule_keeps_listed_languages_above_the_threshold():
    texts = ["This is a plain English sentence about the weather today.",
             "Dies ist ein ganz normaler deutscher Satz über das Wetter heute."]  # fmt: skip
    keep, reason = decide([QualityRule(preset="lang", languages=("en",))], texts)
    assert keep.tolist() == [True, False] and reason[1] == "lang/language"
    keep, _ = decide([QualityRule(preset="lang", languages=("en", "de"))], texts)
    assert keep.all()


def test_reasons_lists_every_check_in_order():
    names = rules.reasons((QualityRule(preset="fineweb"), QualityRule(preset="lang", languages=("en",))))
    assert names == ["fineweb/empty", "fineweb/line_punct_ratio", "fineweb/short_line_ratio",
                     "fineweb/char_dup_ratio", "fineweb/list_ratio", "lang/language"]  # fmt: skip


def test_specs_expand_presets_languages_and_overrides():
    p = QualityParams.from_specs(["gopher,lang=en,de", "fineweb.line_punct_thr=0.1,fineweb"], ["web"])
    assert [r.preset for r in p.rules] == ["gopher_repetition", "gopher_quality", "lang", "fineweb"]
    assert p.rules[2].languages == ("en", "de") and p.rules[3].value("line_punct_thr") == 0.1
    assert all(r.sources == ("web",) for r in p.rules)
    assert QualityParams.from_specs([]).rules == ()


@pytest.mark.parametrize(("spec", "message"), [
    (["gopher,wat"], "unknown filter 'wat'"),
    (["lang=en,xx"], "unknown language code xx"),
    (["lang"], "lang needs language codes"),
    (["fineweb,fineweb.line_punct_thr=1.5"], r"fineweb.line_punct_thr=1.5 is outside its range \[0, 1\]"),
    (["lang=en,lang.language_threshold=0.3"], r"lang.language_threshold=0.3 is outside its range \[0.5, 0.99\]"),
    (["c4,c4.min_sentences=3"], "c4.min_sentences: no such parameter"),
    (["c4.min_num_sentences=3"], "preset c4 is not among the filters"),
    (["c4,c4.min_num_sentences=many"], "not a number"),
])  # fmt: skip
def test_bad_specs_are_refused_naming_the_rule(spec, message):
    with pytest.raises((ValueError, ValidationError), match=message):
        QualityParams.from_specs(spec)


def test_filter_sources_without_filters_are_refused():
    with pytest.raises(ValueError, match="give --filters too"):
        QualityParams.from_specs([], ["web"])


def test_the_language_codes_the_schema_checks_are_the_models():
    assert langid.labels() == LID176 and len(LID176) == 176
