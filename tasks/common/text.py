"""Text normalisation applied to every document at ingest. Pure.

NFC (so visually equal strings compare equal downstream, in hashes and shingles), CR/CRLF -> LF,
and C0/C1 control characters removed except TAB and LF. A leading byte-order mark is dropped.
"""

from __future__ import annotations

import json
import re
import unicodedata

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile("\r\n?")


def normalize(text: str) -> str:
    """The normalised form of `text` (idempotent)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    text = _CONTROL.sub("", text)
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def excerpt(raw: object, limit: int = 200) -> str:
    """A printable start of a raw record for the rejected table (invalid bytes replaced)."""
    if not isinstance(raw, (bytes, str)):  # a parsed row: show it as JSON
        raw = json.dumps(raw, ensure_ascii=False, default=str)[: limit * 2]
    if isinstance(raw, bytes):
        raw = raw[: limit * 4].decode("utf-8", errors="replace")
    # lone surrogates (from JSON escapes) cannot be stored as UTF-8: replace them too
    return _CONTROL.sub("\ufffd", raw[:limit]).encode("utf-8", "replace").decode("utf-8")
