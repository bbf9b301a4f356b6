"""The bundled sample corpus: real multi-domain text every Python installation carries. Offline.

Reads (read-only) the running interpreter's standard library and installed distributions:
  code     standard-library modules, cut at top-level statements
  docs     pydoc topics, pydoc-like pages from module docstrings, the stdlib's .txt/.rst files
  readme   installed packages' long descriptions (their PyPI README)
  license  installed packages' licence files (many identical or nearly so: natural duplicates)
Deterministic on a given machine: sources are enumerated in sorted order and documents kept in an
order given by a hash of their id, up to a per-domain byte share of `max_bytes`.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata as md
import json
import os
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from schemas.config import SampleCorpusParams
from tasks.common import io
from tasks.sample.chunking import api_doc, code_blocks, paragraphs, parse

SHARES = {"code": 0.5, "docs": 0.2, "readme": 0.18, "license": 0.12}  # of max_bytes; unused share moves on
_SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"}
_LICENSE_NAMES = ("LICENSE", "LICENCE", "COPYING", "NOTICE")


def _stdlib_files(suffixes: tuple[str, ...]) -> Iterator[tuple[str, Path]]:
    root = sysconfig.get_paths()["stdlib"]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]  # prune: never walk site-packages
        found += [os.path.join(dirpath, f) for f in filenames if f.endswith(suffixes)]
    for path in sorted(found):
        yield Path(path).relative_to(root).as_posix(), Path(path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _distributions() -> list[md.Distribution]:
    seen, out = set(), []
    for dist in sorted(md.distributions(), key=lambda d: (d.metadata.get("Name") or "").lower()):
        name = (dist.metadata.get("Name") or "").lower()
        if name and name not in seen:
            seen.add(name)
            out.append(dist)
    return out


def stdlib(params: SampleCorpusParams) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(code, docs) records: module chunks, and pydoc topics, text files and docstring pages."""
    from pydoc_data.topics import topics

    code, docs = [], []
    for name in sorted(topics):
        docs += [(f"docs/topic/{name}#{k}", c) for k, c in enumerate(paragraphs(topics[name], params.chunk_chars))]
    for rel, path in _stdlib_files((".txt", ".rst")):
        if (text := _read(path)) is not None:
            docs += [(f"docs/{rel}#{k}", c) for k, c in enumerate(paragraphs(text, params.chunk_chars))]
    for rel, path in _stdlib_files((".py",)):
        if (source := _read(path)) is None:
            continue
        tree = parse(source)
        code += [(f"code/{rel}#{k}", c) for k, c in enumerate(code_blocks(source, tree, params.chunk_chars))]
        module = rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if page := api_doc(module, tree):
            docs += [(f"docs/api/{module}#{k}", c) for k, c in enumerate(paragraphs(page, params.chunk_chars))]
    return code, docs


def readme(params: SampleCorpusParams, dists: list[md.Distribution]) -> Iterator[tuple[str, str]]:
    for dist in dists:
        text = dist.metadata.get_payload() or dist.metadata.get("Description") or ""
        for k, chunk in enumerate(paragraphs(str(text), params.chunk_chars)):
            yield f"readme/{dist.metadata['Name']}#{k}", chunk


def license(dists: list[md.Distribution]) -> Iterator[tuple[str, str]]:
    for dist in dists:
        for f in sorted(dist.files or [], key=str):
            upper = f.name.upper()
            if not any(n in upper for n in _LICENSE_NAMES) or upper.endswith((".PY", ".PYC", ".HTML")):
                continue
            if (text := _read(Path(str(f.locate())))) and text.strip():
                yield f"license/{dist.metadata['Name']}/{f}", text


DOMAINS = tuple(SHARES)


def _order(doc_id: str) -> bytes:
    return hashlib.blake2b(doc_id.encode(), digest_size=8).digest()


def records(params: SampleCorpusParams) -> list[dict]:
    """The corpus as {id, text, domain} records, within the byte cap, in a deterministic order."""
    dists = _distributions()
    code, docs = stdlib(params)
    found = {"code": code, "docs": docs, "readme": list(readme(params, dists)), "license": list(license(dists))}
    pools = {d: sorted(found[d], key=lambda r: _order(r[0])) for d in DOMAINS}
    budget = params.max_bytes
    taken = dict.fromkeys(DOMAINS, 0)  # pools[d][:taken[d]] are in the corpus
    for rnd in range(2):  # pass 1: each domain up to its share; pass 2: leftovers fill in, same order
        for domain, pool in pools.items():
            allowance = SHARES[domain] * params.max_bytes if rnd == 0 else budget
            used = 0
            while taken[domain] < len(pool):
                size = len(pool[taken[domain]][1].encode())
                if used + size > allowance or size > budget:
                    break
                taken[domain] += 1
                used += size
                budget -= size
    return [
        {"id": doc_id, "text": text, "domain": domain}
        for domain in DOMAINS
        for doc_id, text in pools[domain][: taken[domain]]
    ]


def to_jsonl(recs: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in recs)


def write(out_uri: str, params: SampleCorpusParams) -> tuple[list[dict], bool]:
    """Write the corpus as JSONL (gzip if `out_uri` ends in .gz); (records, whether the file changed).

    An identical existing file is left untouched, so its mtime, and the ingest fingerprint that
    depends on it, stay the same: rerunning the demo is then a no-op.
    """
    recs = records(params)
    data = to_jsonl(recs)
    if out_uri.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    if io.exists(out_uri) and io.read_bytes(out_uri) == data:
        return recs, False
    io.write_bytes(out_uri, data)
    return recs, True
