"""The skills stage on a staged run: every kept document gets one skill, embeddings are reused by document, the
marker names the dedup it read; dedup of other documents refused."""

import pyarrow.parquet as pq
import pytest

from schemas.config import EmbedParams, SkillsParams
from tasks.common import catalog
from tasks.common.errors import InputError
from tasks.skills import stage


def test_every_kept_document_has_one_skill_and_an_embedding(staged):
    s = catalog.summary(staged.skills)
    skills = pq.read_table(staged.skills.attributes.partitions[0].uri).to_pydict()
    embedded = pq.read_table(staged.skills.embeddings.partitions[0].uri).to_pydict()
    assert s.counts_add_up and s.documents_in == len(skills["doc_id"]) == 24 and sorted(s.sizes) == [8, 8, 8]
    assert skills["doc_id"] == embedded["doc_id"] and set(skills["skill"]) == {0, 1, 2}
    marker = catalog.marker(staged.run, "skills", staged.skills.fingerprint)
    assert marker.inputs == {"quality": staged.quality.fingerprint}


def test_another_k_embeds_nothing_and_reuses_every_embedding(staged):
    p = stage.plan(staged.run, staged.quality, EmbedParams(), SkillsParams(k=2))
    assert not p.done and p.embeddings == staged.skills.embeddings.uri  # same model, same kept documents
    ref = stage.embed_partition(p, 0, EmbedParams())
    assert ref.num_rows == 24 and ref.uri == staged.skills.embeddings.partitions[0].uri


def test_dedup_of_other_documents_is_refused(staged):
    docs = staged.quality.documents
    other = docs.model_copy(update={"documents": docs.documents.model_copy(update={"partitions": ()})})
    with pytest.raises(InputError, match="was computed for other documents than .*; rerun `skillmix quality`"):
        moved = staged.quality.model_copy(update={"dedup": staged.dedup.model_copy(update={"documents": other})})
        stage.plan(staged.run, moved, EmbedParams(), SkillsParams())


def test_embedding_threads_share_the_cores_among_the_partitions_that_run_at_once(monkeypatch):
    monkeypatch.setattr(stage.os, "cpu_count", lambda: 8)
    assert [stage._threads(n) for n in (1, 2, 3, 16)] == [8, 4, 2, 1]
