"""A tiny run taken through every curate stage by calling the stage modules directly (no Prefect), once per session,
for the stage-level tests. The flows' tests build theirs through Prefect (tests/flows/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from schemas.config import (
    DedupParams,
    EmbedParams,
    EmitParams,
    IngestParams,
    MixParams,
    QualityParams,
    SkillsParams,
    TokensParams,
)
from schemas.refs import DedupRef, DocumentsRef, ManifestRef, MixtureRef, QualityRef, SkillsRef, TokensRef
from tasks.common import catalog
from tasks.dedup import stage as dedup_stage
from tasks.emit import stage as emit_stage
from tasks.ingest import stage as ingest_stage
from tasks.mix import stage as mix_stage
from tasks.quality import stage as quality_stage
from tasks.skills import stage as skills_stage
from tasks.tokens import stage as tokens_stage
from tests.conftest import corpus, write_jsonl

MIX = MixParams(method="stratified")
EMIT = EmitParams(seq_len=16, shard_tokens=1024, formats=("flat", "megatron"))


class Staged(NamedTuple):
    run: str
    documents: DocumentsRef
    dedup: DedupRef
    quality: QualityRef
    skills: SkillsRef
    tokens: TokensRef
    mixture: MixtureRef
    manifest: ManifestRef


def stage_run(root: Path) -> Staged:
    """ingest -> dedup -> quality (no rules) -> skills (k=3) -> tokens -> mix (stratified) -> emit, each committed
    and made latest."""
    src = write_jsonl(root / "in.jsonl", corpus(8, seed=3))
    run = str(root / "run")
    ip = ingest_stage.plan([str(src)], run, IngestParams())
    ingest_stage.commit(ip, [ingest_stage.ingest_file(f, ingest_stage.file_uri(ip, k), IngestParams())
                             for k, f in enumerate(ip.files)], IngestParams())  # fmt: skip
    documents = _advanced(run, "ingest", ip.fingerprint)
    dp = dedup_stage.plan(run, documents, DedupParams())
    sigs = [dedup_stage.signature_partition(dp, k, DedupParams()) for k in range(len(documents.documents.partitions))]
    dedup_stage.resolve(dp, sigs, DedupParams())
    dedup = _advanced(run, "dedup", dp.fingerprint)
    qp = quality_stage.plan(run, dedup, QualityParams())
    quality_stage.resolve(qp, [quality_stage.stats_partition(qp, k) for k in range(len(qp.documents.partitions))],
                          QualityParams())  # fmt: skip
    quality = _advanced(run, "quality", qp.fingerprint)
    sp = skills_stage.plan(run, quality, EmbedParams(), SkillsParams(k=3))
    embedded = [skills_stage.embed_partition(sp, k, EmbedParams()) for k in range(len(sp.documents.partitions))]
    skills_stage.resolve(sp, embedded, EmbedParams(), SkillsParams(k=3))
    skills = _advanced(run, "skills", sp.fingerprint)
    tokens_params = TokensParams(vocab_size=300)
    tp = tokens_stage.plan(run, skills, tokens_params)
    tokens_stage.tokenizer(tp, tokens_params)
    parts = [tokens_stage.tokenize_partition(tp, k, tokens_params) for k in range(len(tp.documents.partitions))]
    tokens_stage.resolve(tp, parts, tokens_params)
    tokens = _advanced(run, "tokens", tp.fingerprint)
    mp = mix_stage.plan(run, tokens, MIX)
    mix_stage.mixture(mp, MIX)
    mixture = _advanced(run, "mix", mp.fingerprint)
    ep = emit_stage.plan(run, mixture, EMIT)
    emit_stage.manifest(ep, [emit_stage.emit_skill(ep, s, EMIT) for s in emit_stage.emitted(ep.doc)], EMIT)
    return Staged(run, documents, dedup, quality, skills, tokens, mixture, _advanced(run, "emit", ep.fingerprint))


def _advanced(run: str, stage: str, fp: str):
    ref = catalog.ref(run, stage, fp)
    catalog.advance(ref)
    return ref


@pytest.fixture(scope="session")
def staged_once(tmp_path_factory) -> Staged:
    return stage_run(tmp_path_factory.mktemp("staged"))


@pytest.fixture
def staged(staged_once, tmp_path) -> Staged:
    """A copy of the staged run for one test (refs rebuilt by the catalog from the copy's markers)."""
    run = tmp_path / "run"
    shutil.copytree(staged_once.run, run)
    refs = [catalog.latest(str(run), s) for s in ("ingest", "dedup", "quality", "skills", "tokens", "mix", "emit")]
    return Staged(str(run), *refs)
