"""`skillmix verify`: recompute every shard's checksums and counts against its manifest. Reads files only."""

from __future__ import annotations

import json
import posixpath

import numpy as np
from pydantic import ValidationError

from schemas.manifest import Manifest, Shard
from schemas.outputs import Verified
from tasks.common import io
from tasks.emit import formats


class VerifyError(Exception):
    """The manifest or one of its shards does not hold what the manifest says."""


def _inside(root: str, rel: str) -> str:
    norm = posixpath.normpath(rel)
    if rel.startswith("/") or norm == ".." or norm.startswith("../") or "://" in rel:
        raise VerifyError(f"path {rel!r} escapes the manifest's directory; refusing to read it")
    return io.join(root, norm)


def verify(manifest_uri: str) -> Verified:
    """Check every shard; returns what was checked (shards, files, tokens per format). Raises VerifyError naming
    the first problem."""
    if not io.exists(manifest_uri):
        raise VerifyError(f"{manifest_uri}: no such manifest")
    try:
        m = Manifest.model_validate(json.loads(io.read_bytes(manifest_uri)))
    except (ValidationError, ValueError) as e:
        raise VerifyError(f"{manifest_uri}: not a valid manifest ({str(e).splitlines()[0]})") from e
    root = manifest_uri.rsplit("/", 1)[0] if "/" in manifest_uri else "."
    tok = _read(root, m.tokenizer.path)
    if formats.sha256(tok) != m.tokenizer.sha256:
        raise VerifyError(f"{m.tokenizer.path}: sha256 differs from the manifest's tokenizer.sha256")
    files = 0
    tokens: dict[str, int] = {}
    for skill in m.skills:
        for shard in skill.shards:
            files += check_shard(root, shard, f"skill {skill.skill}")
            tokens[shard.format] = tokens.get(shard.format, 0) + shard.tokens
    if m.trainer_inputs.megatron_data_args:
        expect = " ".join(f"{w} {p}" for w, p in m.trainer_inputs.megatron_blend) + "\n"
        if _read(root, m.trainer_inputs.megatron_data_args).decode() != expect:
            raise VerifyError(f"{m.trainer_inputs.megatron_data_args}: differs from the manifest's megatron_blend")
    return Verified(
        manifest=manifest_uri,
        skills=len(m.skills),
        shards=sum(len(s.shards) for s in m.skills),
        files=files,
        tokens=tokens,
    )


def check_shard(root: str, shard: Shard | dict, where: str) -> int:
    """Read one shard's files under `root`, check their sha256 and counts against its entry; the number of files.
    Raises VerifyError naming the first file that differs (missing, truncated, replaced)."""
    shard = Shard.model_validate(shard)
    base = shard.path.rsplit("/", 1)[0]
    blobs = {name: _read(root, f"{base}/{name}") for name in shard.sha256}
    for name, data in blobs.items():
        if formats.sha256(data) != shard.sha256[name]:
            raise VerifyError(f"{base}/{name} ({where}): sha256 differs from the manifest")
    _counts(shard, blobs)
    return len(blobs)


def _read(root: str, rel: str) -> bytes:
    uri = _inside(root, rel)
    if not io.exists(uri):
        raise VerifyError(f"{rel}: missing (listed in the manifest)")
    return io.read_bytes(uri)


def _counts(shard, blobs: dict[str, bytes]) -> None:
    name = shard.path.rsplit("/", 1)[1]
    if shard.format == "megatron":
        try:
            idx = formats.read_megatron_idx(blobs[f"{name}.idx"])
        except (ValueError, KeyError) as e:
            raise VerifyError(f"{shard.path}.idx: {e}") from e
        found = (len(idx["lengths"]), int(idx["lengths"].sum()), len(blobs[f"{name}.bin"]) // idx["dtype"].itemsize)
        want = (shard.documents, shard.tokens, shard.tokens)
    elif shard.format == "flat":
        found, want = len(blobs[name]) // np.dtype(shard.dtype).itemsize, shard.tokens
    else:
        n = formats.mds_samples(blobs[name])
        found, want = (n, n * (shard.tokens // max(shard.samples or 1, 1))), (shard.samples, shard.tokens)
    if found != want:
        raise VerifyError(f"{shard.path}: holds {found}, the manifest says {want} (documents/tokens or samples)")
