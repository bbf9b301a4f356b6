"""`skillmix status`'s reading of a run: every stage's state, and what a rerun of the curate flow recomputes."""

import os
from pathlib import Path

from schemas.config import DedupParams, IngestParams, MinHashParams, SkillsParams
from tasks.common import catalog
from tasks.ingest import stage as ingest_stage
from tasks.report import status
from tests.conftest import corpus, write_jsonl


def _by_stage(st):
    return {s.stage: s for s in st.stages}


def test_a_finished_run_is_current_everywhere_and_a_rerun_reads_everything_back(staged):
    st = status.status(staged.run)
    by = _by_stage(st)
    assert [s.stage for s in st.stages] == list(catalog.STAGES)
    assert all(by[s].state == "current" for s in catalog.CHAIN) and st.rerun == []
    assert by["attribution"].state == by["proxies"].state == "not run"
    tokens = by["tokens"]
    assert tokens.latest == staged.tokens.fingerprint and len(tokens.committed) == 1 and tokens.committed[0].latest
    assert tokens.committed[0].made_from == {"skills": staged.skills.fingerprint}
    assert tokens.committed[0].params == "vocab_size=300" and "tokens of 24 documents" in tokens.committed[0].facts
    assert by["skills"].committed[0].params == "k=3; embed: defaults"
    assert by["mix"].committed[0].facts == "stratified: weights 0.333-0.333 over 3 skills"


def test_a_stage_whose_marker_is_missing_is_interrupted_and_a_rerun_resumes_only_it(staged):
    Path(staged.tokens.uri, "_SUCCESS").unlink()  # killed after its partitions, before the stage committed
    st = status.status(staged.run)
    tokens = _by_stage(st)["tokens"]
    assert tokens.state == "interrupted" and tokens.committed == []
    assert tokens.why == f"its latest output {staged.tokens.fingerprint} is not committed"
    assert [(u.fingerprint, u.parts_committed) for u in tokens.uncommitted] == [(staged.tokens.fingerprint, 1)]
    assert st.rerun == ["tokens"]  # same fingerprint once resumed: the mixture and manifest are read back
    assert "tokens is interrupted (a rerun resumes it)" in st.rerun_why


def test_a_stage_made_from_an_older_upstream_is_stale_and_everything_after_it_recomputes(staged, tmp_path):
    src = write_jsonl(tmp_path / "more.jsonl", corpus(4, seed=8))
    params = IngestParams()
    p = ingest_stage.plan([str(src)], staged.run, params)
    ingest_stage.commit(p, [ingest_stage.ingest_file(p.files[0], ingest_stage.file_uri(p, 0), params)], params)
    catalog.advance(catalog.ref(staged.run, "ingest", p.fingerprint))
    st = status.status(staged.run)
    dedup = _by_stage(st)["dedup"]
    assert dedup.state == "stale" and p.fingerprint in dedup.why and staged.documents.fingerprint in dedup.why
    assert len(_by_stage(st)["ingest"].committed) == 2
    assert st.rerun == ["dedup", "quality", "skills", "tokens", "mix", "emit"]


def test_changed_input_files_make_the_ingest_stale(staged):
    src = Path(catalog.summary(staged.documents).inputs[0].uri)  # shared by every copy of the staged run
    times = (src.stat().st_atime, src.stat().st_mtime)
    os.utime(src, (times[0], times[1] + 60))  # touched: its version differs, as ingest sees it
    try:
        st = status.status(staged.run)
    finally:
        os.utime(src, times)
    ingest = _by_stage(st)["ingest"]
    assert ingest.state == "stale" and ingest.why == "input files changed since: in.jsonl"
    assert st.rerun == list(catalog.CHAIN)


def test_a_first_run_killed_mid_stage_is_interrupted_with_the_parts_it_committed(tmp_path):
    run = tmp_path / "run"
    for k in range(2):  # two signature partitions committed, the dedup never
        (run / "work" / "dedup" / "abc" / "signatures" / f"part-{k:05d}").mkdir(parents=True)
        (run / "work" / "dedup" / "abc" / "signatures" / f"part-{k:05d}" / "_SUCCESS").write_text("{}")
    st = status.status(str(run))
    dedup = _by_stage(st)["dedup"]
    assert dedup.state == "interrupted" and dedup.uncommitted[0].parts_committed == 2
    assert st.rerun == list(catalog.CHAIN)  # nothing committed: the whole chain runs


def test_parameters_in_short_are_what_differs_from_the_defaults():
    assert status.short(SkillsParams()) == "defaults"
    assert status.short(DedupParams(minhash=MinHashParams(threshold=0.7), verify=False)) == (
        "minhash.threshold=0.7, verify=False"
    )
