"""Cheap format statistics of a text, for format-aware skills (WebOrganizer's second axis: format beside topic).

Pure: texts in, a float matrix out. Twelve numbers per text, from its first `max_chars` characters:
shares of letters, digits, whitespace, punctuation and upper case among characters; the share of non-blank
lines that are indented; the share of lines that are blank; log(1 + mean line length) and log(1 + its
standard deviation); the share of non-blank lines ending in . ! or ?; the share of non-ASCII characters;
log(1 + the text's length). Code, markup, tables, prose and verse differ on them where a topic embedding
of the text's words may not.
"""

from __future__ import annotations

import numpy as np

NAMES = ("letters", "digits", "spaces", "punctuation", "upper", "indented", "blank_lines", "line_length",
         "line_spread", "sentence_ends", "non_ascii", "length")  # fmt: skip

# character classes of code points below 128 (non-ASCII is counted apart): 0 letter, 1 digit, 2 space, 3 punct
_CLASS = np.full(128, 3, np.int64)
_CLASS[[*range(ord("a"), ord("z") + 1), *range(ord("A"), ord("Z") + 1)]] = 0
_CLASS[range(ord("0"), ord("9") + 1)] = 1
_CLASS[[9, 10, 11, 12, 13, 32]] = 2
_UPPER = np.zeros(128, bool)
_UPPER[range(ord("A"), ord("Z") + 1)] = True


def stats(texts: list[str], max_chars: int = 20_000) -> np.ndarray:
    """(len(texts), 12) float64, columns as NAMES."""
    out = np.zeros((len(texts), len(NAMES)))
    for i, text in enumerate(texts):
        out[i] = _one(text[:max_chars], len(text))
    return out


def _one(t: str, full_length: int) -> list[float]:
    codes = np.frombuffer(t.encode("utf-32-le"), np.uint32)
    n = max(len(codes), 1)
    ascii_ = codes[codes < 128].astype(np.int64)
    classes = np.bincount(_CLASS[ascii_], minlength=4)
    non_ascii = len(codes) - len(ascii_)
    letters = classes[0] + non_ascii  # letters of other scripts count as letters
    lines = t.split("\n")
    lengths = np.fromiter((len(line) for line in lines), float, len(lines))
    nonblank = [line for line in lines if line.strip()]
    m = max(len(nonblank), 1)
    return [letters / n, classes[1] / n, classes[2] / n, classes[3] / n, _UPPER[ascii_].sum() / n,
            sum(line[0] in " \t" for line in nonblank) / m, 1 - len(nonblank) / max(len(lines), 1),
            np.log1p(lengths.mean()), np.log1p(lengths.std()),
            sum(line.rstrip()[-1] in ".!?" for line in nonblank) / m, non_ascii / n,
            np.log1p(full_length)]  # fmt: skip


def standardise(f: np.ndarray, mean: np.ndarray, std: np.ndarray, weight: float) -> np.ndarray:
    """Format columns to append to unit-length embeddings: z-scored, scaled so their norm is about `weight`
    (each of the d columns by weight / sqrt(d)), float32."""
    z = (f - mean) / np.where(std > 0, std, 1.0)
    return (z * (weight / np.sqrt(f.shape[1]))).astype(np.float32)
