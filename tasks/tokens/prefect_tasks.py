"""Prefect tasks for tokens: each calls one step of tasks.tokens.stage and returns a small ref."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from schemas.config import TokensParams
from schemas.outputs import TokenizerMeta
from schemas.refs import PartitionRef, SkillsRef, TokensPlan, TokensRef
from tasks.common import catalog
from tasks.tokens import stage


@task(name="plan-tokens", cache_policy=NO_CACHE)
def plan_tokens(run: str, skills: SkillsRef, params: TokensParams) -> TokensPlan:
    return stage.plan(run, skills, params)


@task(name="tokenizer", cache_policy=NO_CACHE)
def tokenizer(plan: TokensPlan, params: TokensParams) -> TokenizerMeta:
    """Train or load the tokenizer; its sha256, vocabulary size and EOS id."""
    return stage.tokenizer(plan, params)


@task(name="tokenize-partition", cache_policy=NO_CACHE, tags=["cpu"], task_run_name="tokenize-partition-{k}")
def tokenize_partition(plan: TokensPlan, k: int, params: TokensParams) -> PartitionRef:
    return stage.tokenize_partition(plan, k, params)


@task(name="resolve-tokens", cache_policy=NO_CACHE)
def resolve_tokens(plan: TokensPlan, refs: list[PartitionRef], params: TokensParams, seconds: float) -> TokensRef:
    stage.write_report(stage.resolve(plan, refs, params, seconds).summary, plan.report)
    return catalog.ref(plan.run, "tokens", plan.fingerprint)


@task(name="load-tokens", cache_policy=NO_CACHE)
def load_tokens(plan: TokensPlan) -> TokensRef:
    stage.write_report(catalog.need(plan.run, "tokens", plan.fingerprint).summary, plan.report)
    return catalog.ref(plan.run, "tokens", plan.fingerprint)
