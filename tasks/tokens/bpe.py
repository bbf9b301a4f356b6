"""Tokenizers: train a byte-level BPE with HF `tokenizers`, or load the user's; encode with EOS appended.

Pure apart from reading a user's tokenizer file: texts in, token id arrays out. A trained tokenizer is
byte-level (every string encodes, nothing is unknown) with one special token, the end-of-sequence
marker, at id 0. Training on the same texts in the same order with the same settings gives the same
tokenizer, byte for byte (`to_str`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from tasks.common.errors import InputError

EOS = "<|endoftext|>"


def train(texts: Iterable[str], vocab_size: int, eos: str = EOS) -> Tokenizer:
    """A byte-level BPE of `vocab_size` tokens (EOS at id 0) trained on `texts`."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[eos], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def load(path: str, eos: str = EOS) -> Tokenizer:
    """The user's tokenizer: a tokenizer.json file, or a directory holding one (a Hugging Face tokenizer
    directory); its end-of-sequence token must be `eos`."""
    p = Path(path).expanduser()
    file = p / "tokenizer.json" if p.is_dir() else p
    if not file.exists():
        raise InputError(f"--tokenizer {path}: no tokenizer.json there; give a tokenizer.json file or a "
                         "directory holding one, or leave --tokenizer out to train a BPE on the corpus")  # fmt: skip
    try:
        tok = Tokenizer.from_file(str(file))
    except Exception as e:  # tokenizers raises plain Exception subclasses for bad JSON
        raise InputError(f"--tokenizer {path}: not a tokenizers JSON file ({e})") from e
    eos_id(tok, eos)
    return tok


def eos_id(tok: Tokenizer, eos: str = EOS) -> int:
    """The id of the end-of-sequence token, or an error naming the token and how to choose another."""
    i = tok.token_to_id(eos)
    if i is None:
        raise InputError(f"the tokenizer has no token {eos!r}; pass --eos-token with its end-of-text token "
                         "(e.g. '</s>' or '<|end_of_text|>')")  # fmt: skip
    return i


def to_str(tok: Tokenizer) -> str:
    """Canonical JSON text of the tokenizer (what is saved, and what its sha256 is taken over)."""
    return json.dumps(json.loads(tok.to_str()), sort_keys=True, ensure_ascii=False, indent=None)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def encode(texts: list[str], tok: Tokenizer, eos: int) -> list[np.ndarray]:
    """Token ids of each text with `eos` appended, as uint32 arrays (no other special tokens)."""
    out = tok.encode_batch_fast(texts, add_special_tokens=False)
    return [np.append(np.asarray(e.ids, np.uint32), np.uint32(eos)) for e in out]
