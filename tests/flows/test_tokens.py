"""The tokens flow on a copy of the tiny curated run: another vocabulary is a new output, made latest, with the
chain it read; a rerun is a no-op."""

import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.tokens import tokens
from schemas.config import TokensParams
from tasks.common import catalog
from tests.flows.pipeline import own_copy

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_another_vocabulary_is_a_new_latest_output_and_a_rerun_reads_it(built, tmp_path):
    run = str(own_copy(built, tmp_path))
    skills = catalog.latest(run, "skills")
    flow = tokens.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    before = catalog.latest(run, "tokens")
    ref = flow(run, skills, TokensParams(vocab_size=350))
    s = catalog.summary(ref)
    assert ref.fingerprint != before.fingerprint and catalog.latest(run, "tokens") == ref and ref.skills == skills
    assert s.counts_add_up and s.documents == before.attributes.num_rows and s.tokenizer.vocab_size <= 350
    assert flow(run, skills, TokensParams(vocab_size=350)) == ref
