"""Target tasks for attribution and target-optimised mixtures: JSONL files of examples, read and validated, then
encoded into training rows under a tokens stage's tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from schemas.refs import TokensRef
from tasks.attribution import dsdm
from tasks.common import io
from tasks.common.errors import InputError
from tasks.train.loop import IGNORE


def rows(ids: list[np.ndarray], seq_len: int) -> dsdm.Rows:
    """Rows of each id sequence's first seq_len + 1 tokens; the pad's targets are IGNORE."""
    x = np.zeros((len(ids), seq_len + 1), np.int64)
    y = np.full((len(ids), seq_len), IGNORE, np.int64)
    for i, a in enumerate(ids):
        a = np.asarray(a[: seq_len + 1], np.int64)
        x[i, : len(a)] = a
        y[i, : len(a) - 1] = a[1:]
    return dsdm.Rows(x, y)


def read_targets(files: list[str]) -> dict[str, list[str]]:
    """{target name: texts} from JSONL files; a bad line is named with its file and line number."""
    out: dict[str, list[str]] = {}
    for f in files:
        try:
            lines = io.read_bytes(f).decode().splitlines()
        except FileNotFoundError as e:
            raise InputError(f"--targets {f}: no such file") from e
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{f}:{n}: not JSON ({e.msg}); one object per line with a 'text'") from e
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
                raise InputError(f"{f}:{n}: needs a non-empty 'text' string")
            out.setdefault(str(rec.get("target") or Path(f).name.split(".")[0]), []).append(rec["text"])
    if not out:
        raise InputError(f"--targets {', '.join(files)}: no target examples")
    return out


def encode_targets(tokens: TokensRef, targets: dict[str, list[str]], seq_len: int) -> dict[str, dsdm.Rows]:
    """Rows of each target's texts under the tokenizer of `tokens`."""
    from tokenizers import Tokenizer

    from tasks.tokens import bpe

    tok = Tokenizer.from_str(io.read_bytes(tokens.tokenizer).decode())
    return {name: rows(bpe.encode(texts, tok, tokens.eos_id), seq_len) for name, texts in targets.items()}
