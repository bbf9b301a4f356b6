"""Per-document quality statistics, as DataTrove's Gopher, C4 and FineWeb filters compute them. Pure: texts in,
columns out.

Every number a filter compares with a threshold is kept, so a rule is a comparison over a column
(`tasks.quality.rules`) and new thresholds need no recomputation. Words are spaCy `blank("en")` tokens, stripped,
empties dropped: DataTrove's `split_into_words` for English. Where a filter would divide by zero (no words, no
lines) the ratio is 0 here; the rules' own minimums (50 words, one non-blank line) decide such documents.

The definitions follow DataTrove 0.10.1 (`pipeline/filters/*`), quirks kept on purpose: paragraphs are
`text.strip()` split by `\\n{2,}` and lines `text` split by `\\n+` (Gopher repetition), `splitlines()` (Gopher
quality, C4) or `split("\\n")` minus blank lines (FineWeb); the top n-gram fraction counts the most frequent
n-gram even when it occurs once; duplicated 5-10-grams are joined without spaces. C4's document-level outcomes are
kept as the first line that triggers them, so each of its rules can be switched off after the fact.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import numpy as np

from schemas.tables import QUALITY_STATS as COLUMNS
from tasks.quality.punctuation import PUNCTUATION_SET, TERMINAL_PUNCTUATION

STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})  # Gopher's, case-sensitive
TOP_NGRAMS = tuple(int(c.split("_")[1]) for c in COLUMNS if c.startswith("top_"))  # 2, 3, 4
DUP_NGRAMS = tuple(int(c.split("_")[1]) for c in COLUMNS if c.startswith("dup_") and c.endswith("_gram"))
C4_END = (".", "?", "!", '"', "'")
C4_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
C4_POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
C4_MAX_WORD = 1000  # a line with a longer whitespace word is dropped
C4_MIN_LINE_WORDS = 3
FINEWEB_SHORT_LINE = 30  # characters
_TERMINAL = tuple(TERMINAL_PUNCTUATION)
_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile(r"\n+")


def _nlp():
    """spaCy's rule-based English tokenizer and sentencizer: no model, nothing downloaded. A fresh one per call of
    `compute`: its vocabulary keeps every string it has seen (faster than a memory zone, which forgets them after
    each text), and is dropped with it."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 1 << 31
    return nlp


def words(text: str, nlp=None) -> list[str]:
    """DataTrove's English `split_into_words`: spaCy tokens, stripped, empties dropped."""
    from spacy.attrs import IDX, LENGTH

    nlp = nlp or _nlp()
    spans = nlp.tokenizer(text).to_array([IDX, LENGTH]).tolist()
    return [s for i, n in spans if (s := text[i : i + n].strip())]


def compute(texts: list[str], progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """The COLUMNS of each text, as numpy arrays; `progress(done)` is called every 100 texts."""
    nlp = _nlp()
    rows = []
    for i, t in enumerate(texts):
        w = words(t, nlp)
        rows.append(_gopher_quality(t, w) | _repetition(t, w) | _fineweb(t, w))
        if progress and i % 100 == 99:
            progress(i + 1)
    c4 = _c4(texts, nlp)
    return {name: np.asarray(c4[name] if name.startswith("c4_") else [r[name] for r in rows], dtype=dtype)
            for name, (dtype, _) in COLUMNS.items()}  # fmt: skip


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _gopher_quality(text: str, w: list[str]) -> dict:
    n = len(w)
    lengths = [len(x) for x in w if any(ch not in PUNCTUATION_SET for ch in x)]
    lines = text.splitlines()
    return {
        "words": n,
        "non_symbol_words": len(lengths),
        "mean_word_length": float(np.mean(lengths)) if lengths else 0.0,
        "hash_ratio": _ratio(text.count("#"), n),
        "ellipsis_ratio": _ratio(text.count("...") + text.count("…"), n),
        "bullet_lines": _ratio(sum(s.lstrip().startswith(("•", "-")) for s in lines), len(lines)),
        "ellipsis_lines": _ratio(sum(s.rstrip().endswith(("...", "…")) for s in lines), len(lines)),
        "alpha_words": _ratio(sum(any(c.isalpha() for c in x) for x in w), n),
        "stop_words": len(STOP_WORDS.intersection(w)),
    }


def duplicates(items: list[str]) -> tuple[int, int]:
    """(duplicate items, their characters): an item already seen is a duplicate."""
    seen: set[str] = set()
    count = chars = 0
    for x in items:
        if x in seen:
            count, chars = count + 1, chars + len(x)
        else:
            seen.add(x)
    return count, chars


def _top_ngram(w: list[str], n: int) -> int:
    """Characters of the most frequent space-joined n-gram times its count (first seen wins a tie)."""
    grams = Counter(" ".join(w[i : i + n]) for i in range(len(w) - n + 1))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return len(gram) * count


def _dup_ngram(w: list[str], n: int) -> int:
    """Characters of repeated n-grams (joined without spaces), jumping n words past each repeat."""
    seen: set[str] = set()
    chars = i = 0
    while i < len(w) - n + 1:
        gram = "".join(w[i : i + n])
        if gram in seen:
            chars += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def _repetition(text: str, w: list[str]) -> dict:
    size = len(text)
    paragraphs = _PARAGRAPHS.split(text.strip())
    lines = _LINES.split(text)
    p_dup, p_chars = duplicates(paragraphs)
    l_dup, l_chars = duplicates(lines)
    out = {"dup_para_frac": _ratio(p_dup, len(paragraphs)), "dup_para_char_frac": _ratio(p_chars, size),
           "dup_line_frac": _ratio(l_dup, len(lines)), "dup_line_char_frac": _ratio(l_chars, size)}  # fmt: skip
    out |= {f"top_{n}_gram": _ratio(_top_ngram(w, n), size) for n in TOP_NGRAMS}
    out |= {f"dup_{n}_gram": _ratio(_dup_ngram(w, n), size) for n in DUP_NGRAMS}
    return out


def _fineweb(text: str, w: list[str]) -> dict:
    lines = [line for line in text.split("\n") if line.strip() != ""]
    return {
        "fw_lines": len(lines),
        "fw_line_punct": _ratio(sum(line.endswith(_TERMINAL) for line in lines), len(lines)),
        "fw_short_lines": _ratio(sum(len(line) <= FINEWEB_SHORT_LINE for line in lines), len(lines)),
        "fw_char_dup": _ratio(duplicates(lines)[1], len(text) - text.count("\n")),
        "fw_list_ratio": _ratio(text.count("\n"), len(w)),
    }


def c4_line(line: str) -> tuple[str | None, bool, bool]:
    """One line through C4's line rules: (the stripped line if kept, else None; has 'lorem ipsum'; has '{').
    The two flags are set only for lines that reach those checks, as in DataTrove's order."""
    line = line.strip()
    split = line.split()
    if any(len(x) > C4_MAX_WORD for x in split):
        return None, False, False
    line = C4_CITATION.sub("", line)
    if not line.endswith(C4_END) or line.endswith("..."):
        return None, False, False
    if len(split) < C4_MIN_LINE_WORDS:
        return None, False, False
    low = line.lower()
    lorem = "lorem ipsum" in low
    if "javascript" in low:
        return None, lorem, False
    curly = "{" in line
    if any(p in low for p in C4_POLICY):
        return None, lorem, curly
    return line, lorem, curly


def _c4(texts: list[str], nlp) -> dict[str, list[int]]:
    """C4's line rules on every line; sentences of the kept lines counted in one spaCy pass over all of them."""
    out: dict[str, list[int]] = {k: [] for k in ("c4_lines", "c4_kept_lines", "c4_lorem_line", "c4_curly_line")}
    kept: list[str] = []
    owner: list[int] = []
    for d, text in enumerate(texts):
        lines = text.splitlines()
        lorem = curly = -1
        n_kept = 0
        for i, line in enumerate(lines):
            line, has_lorem, has_curly = c4_line(line)
            lorem = i if has_lorem and lorem < 0 else lorem
            curly = i if has_curly and curly < 0 else curly
            if line is not None:
                kept.append(line)
                owner.append(d)
                n_kept += 1
        for k, v in zip(out, (len(lines), n_kept, lorem, curly), strict=True):
            out[k].append(v)
    sentences = np.zeros(len(texts), np.int64)
    counts = [sum(1 for _ in doc.sents) for doc in nlp.pipe(kept, batch_size=256)]
    np.add.at(sentences, np.asarray(owner, np.int64), np.asarray(counts, np.int64))
    out["c4_sentences"] = sentences.tolist()
    return out
