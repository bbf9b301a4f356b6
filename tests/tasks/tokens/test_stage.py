"""The tokens stage on a staged run: counts add up per skill, every kept document tokenized with EOS, the
tokenizer committed once; skills of other documents refused."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from schemas.config import TokensParams
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.tokens import stage


def test_per_skill_counts_add_up_to_the_tokenized_kept_documents(staged):
    s = catalog.summary(staged.tokens)
    t = pq.read_table(staged.tokens.attributes.partitions[0].uri).to_pydict()
    assert s.counts_add_up and s.documents == len(t["doc_id"]) == staged.tokens.attributes.num_rows == 24
    assert [k.documents for k in s.skills] == np.bincount(t["skill"], minlength=3).tolist()
    assert s.tokens == sum(k.tokens for k in s.skills) == sum(t["n_tokens"])
    assert all(ids[-1] == s.tokenizer.eos_id and len(ids) == n for ids, n in zip(t["ids"], t["n_tokens"], strict=True))
    assert all(k.joint >= k.shannon >= 0 and k.conditional <= k.joint for k in s.skills)
    assert staged.tokens.vocab_size == s.tokenizer.vocab_size <= 300


def test_a_rerun_finds_it_committed_and_another_vocabulary_is_another_fingerprint(staged):
    again = stage.plan(staged.run, staged.skills, TokensParams(vocab_size=300))
    assert again.done and again.fingerprint == staged.tokens.fingerprint
    assert (
        stage.tokenizer(again, TokensParams(vocab_size=300)).sha256 == catalog.summary(staged.tokens).tokenizer.sha256
    )
    other = stage.plan(staged.run, staged.skills, TokensParams(vocab_size=320))
    assert not other.done and other.fingerprint != again.fingerprint


def test_skills_of_other_documents_are_refused(staged):
    docs = staged.skills.quality.documents
    other = docs.model_copy(update={"documents": docs.documents.model_copy(update={"partitions": ()})})
    q = staged.skills.quality
    moved = q.model_copy(update={"dedup": q.dedup.model_copy(update={"documents": other})})
    skills = staged.skills.model_copy(update={"quality": moved})
    with pytest.raises(InputError, match="was computed for other documents than .*; rerun `skillmix skills`"):
        stage.plan(staged.run, skills, TokensParams())
