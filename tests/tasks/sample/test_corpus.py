import json
from collections import Counter
from itertools import combinations

import pytest

from schemas.config import SampleCorpusParams
from tasks.sample import chunking, corpus

PARAMS = SampleCorpusParams(max_bytes=4 << 20)


@pytest.fixture(scope="module")
def recs():
    return corpus.records(PARAMS)


def test_multi_domain_within_the_cap_with_unique_ids(recs):
    domains = Counter(r["domain"] for r in recs)
    assert set(domains) == {"code", "docs", "readme", "license"} and min(domains.values()) >= 20
    assert sum(len(r["text"].encode()) for r in recs) <= PARAMS.max_bytes
    assert len({r["id"] for r in recs}) == len(recs)
    assert all(set(r) == {"id", "text", "domain"} and r["text"].strip() for r in recs)


def test_contains_natural_exact_and_near_duplicates(recs):
    texts = Counter(r["text"] for r in recs)
    assert any(n > 1 for n in texts.values()), "no exact duplicates (licence files should repeat)"

    def shingles(t):
        w = t.split()
        return {" ".join(w[i : i + 5]) for i in range(len(w) - 4)}

    short = [shingles(r["text"]) for r in recs if r["domain"] == "license" and len(r["text"]) < 2500]
    near = [len(a & b) / len(a | b) for a, b in combinations(short, 2) if a and b and a != b]
    assert sum(0.7 <= j < 1.0 for j in near) >= 3, "expected near-duplicate licences (same text, other holder)"


def test_deterministic_bytes(recs):
    assert corpus.to_jsonl(corpus.records(PARAMS)) == corpus.to_jsonl(recs)
    assert json.loads(corpus.to_jsonl(recs[:1]))["id"] == recs[0]["id"]


def test_code_chunks_cut_between_top_level_statements():
    src = "import os\n\n\ndef a():\n    return 1\n\n\n@dec\ndef b():\n    return 2\n"
    chunks = chunking.code_blocks(src, chunking.parse(src), max_chars=30)
    assert "".join(chunks).replace("\n", "") == src.replace("\n", "")
    assert any(c.startswith("@dec\ndef b") for c in chunks)
