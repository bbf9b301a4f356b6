"""Tokens: kept documents -> tokenizer (trained BPE or the user's) -> token ids per partition -> per-skill stats."""

from __future__ import annotations

import time

from prefect import flow, unmapped

from flows.runtime import task_runner, tracked
from schemas.config import TokensParams
from schemas.refs import SkillsRef, TokensRef
from tasks.common import catalog
from tasks.common.prefect_tasks import advance_latest
from tasks.tokens.prefect_tasks import load_tokens, plan_tokens, resolve_tokens, tokenize_partition, tokenizer


@flow(name="tokens", task_runner=task_runner(), log_prints=True)
def tokens(run: str, skills: SkillsRef, params: TokensParams = TokensParams()) -> TokensRef:
    """Tokenize the documents `skills` grouped (EOS appended); per-skill token counts and entropies."""
    start = time.monotonic()
    plan = plan_tokens(run, skills, params)
    if plan.done:
        print(f"tokens: already committed with these documents and params: {plan.out}")
        return advance_latest(load_tokens(plan))
    meta = tokenizer(plan, params)
    print(f"tokens: tokenizer {meta.source}, vocabulary {meta.vocab_size:,}, sha256 {meta.sha256[:12]}")
    parts = range(len(plan.documents.partitions))
    refs = tracked(tokenize_partition.map(unmapped(plan), parts, unmapped(params)), "tokens")
    ref = resolve_tokens(plan, refs, params, time.monotonic() - start)
    s = catalog.summary(ref)
    print(f"tokens: {s.documents:,} documents, {s.tokens:,} tokens in {skills.k} skills -> {plan.out}")
    return advance_latest(ref)
