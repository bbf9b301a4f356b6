"""Designs of proxy runs: named mixtures and seeds resolved into explicit training parameters, and each run's key.

A run's key covers what it reads: the shards of the skills (their sha256, in the format training reads), the
tokenizer, the training parameters with the mixture resolved into explicit weights, and the run it starts from.
A manifest that differs only in its weights therefore reuses every run that does not train on those weights.
Pure: a manifest's values in, specs and keys out.
"""

from __future__ import annotations

import hashlib
import json

from schemas.config import MixingParams, TrainParams
from schemas.manifest import Manifest
from schemas.refs import ProxySpec

MIXTURES = ("manifest", "stratified", "natural", "skillit", "aioli")


def mixing(spec: str, m: Manifest, base: MixingParams, file_weights: list[float] | None = None) -> MixingParams:
    """The mixing a proxy run gets from a spec: `manifest` (its weights), `stratified`, `natural` (tokens
    available), `skillit` or `aioli` (online, with `base`'s settings), a mixture.json (`file_weights`, read by the
    caller) or comma-separated weights, one per skill. Static mixings carry no online settings, so their runs serve
    whatever online settings a command has."""
    k = len(m.skills)
    if spec in ("skillit", "aioli"):
        return base.model_copy(update={"method": spec, "weights": None})
    if spec == "manifest":
        weights = tuple(s.weight for s in m.skills)
    elif spec == "stratified":
        weights = (1.0 / k,) * k
    elif spec == "natural":
        weights = tuple(float(s.tokens_available) for s in m.skills)
    elif file_weights is not None:
        weights = tuple(float(w) for w in file_weights)
    else:
        try:
            weights = tuple(float(w) for w in spec.split(","))
        except ValueError:
            raise ValueError(f"mixture {spec!r}: one of {', '.join(MIXTURES)}, a mixture.json, or {k} "
                             "comma-separated weights") from None  # fmt: skip
    if len(weights) != k:
        raise ValueError(f"mixture {spec!r} has {len(weights)} weights; the manifest has {k} skills")
    return MixingParams(weights=weights)


def label(spec: str, doc: dict | None = None) -> str:
    """How reports name a mixing spec: a mixture.json by its method and fingerprint, any other spec as given."""
    return f"{doc['method']} {doc['fingerprint']}" if doc and {"method", "fingerprint"} <= set(doc) else spec


def grid(mixings: dict[str, MixingParams], seeds: list[int] | tuple[int, ...], base: TrainParams) -> list[ProxySpec]:
    """One spec per named mixing and seed: `base` with that seed and mixing."""
    return [ProxySpec(name=name, seed=seed, params=base.model_copy(update={"seed": seed, "mixing": mix}))
            for name, mix in mixings.items() for seed in seeds]  # fmt: skip


def data_key(m: Manifest, fmt: str) -> str:
    """What a proxy reads of a manifest: the tokenizer and each skill's shards of format `fmt`, by content."""
    shards = [[s.skill, [sorted(x.sha256.values()) for x in s.shards if x.format == fmt]] for s in m.skills]
    payload = json.dumps({"tokenizer": m.tokenizer.sha256, "format": fmt, "skills": shards}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def keys(specs: list[ProxySpec] | tuple[ProxySpec, ...], data: str) -> list[str]:
    """Each spec's run key: its parameters, the data it reads and the key of the run it starts from (an earlier
    spec of the design, by name)."""
    out: list[str] = []
    by_name: dict[str, str] = {}
    for s in specs:
        if s.init is not None and s.init not in by_name:
            raise ValueError(f"proxy run {s.name!r} starts from {s.init!r}, which is not an earlier run of the design")
        key = s.params.fingerprint(data, by_name[s.init] if s.init else "")
        by_name.setdefault(s.name, key)
        out.append(key)
    return out


def fingerprint(specs: list[ProxySpec] | tuple[ProxySpec, ...], run_keys: list[str], baseline: str | None) -> str:
    """The design's fingerprint: its runs (names, seeds, keys) and the baseline they are compared with."""
    payload = json.dumps([[s.name, s.seed, k] for s, k in zip(specs, run_keys, strict=True)] + [baseline])
    return hashlib.sha256(payload.encode()).hexdigest()[:12]
