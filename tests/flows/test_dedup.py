"""The dedup flow with the Prefect engine on (test server), on a tiny ingested run."""

import json

import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.dedup import dedup
from flows.ingest import ingest
from schemas.config import DedupParams
from tasks.common import catalog
from tasks.dedup import planted
from tests.conftest import write_jsonl

pytestmark = pytest.mark.usefixtures("prefect_harness")
THREADS = ThreadPoolTaskRunner(max_workers=2)


def test_dedup_flow_report_artifacts_latest_and_noop_rerun(tmp_path, caplog):
    texts, _ = planted.planted(n_base=10, seed=4)
    src = write_jsonl(tmp_path / "docs.jsonl", [{"text": t} for t in [*texts, texts[0]]])
    run = tmp_path / "run"
    documents = ingest.with_options(task_runner=THREADS)([str(src)], str(run))
    flow = dedup.with_options(task_runner=THREADS)
    ref = flow(str(run), documents, DedupParams())
    s = catalog.summary(ref)
    assert "P(candidate | J): J=0.5: 0.027" in caplog.text  # the S-curve is in the flow run's log
    assert s.documents_in == len(texts) + 1 and s.counts_add_up and s.dropped_by_reason["exact_duplicate"] >= 1
    assert json.loads((run / "report" / "dedup" / "summary.json").read_text()) == s.model_dump(mode="json")
    assert (run / "report" / "dedup" / "dedup.png").read_bytes()[:4] == b"\x89PNG"
    assert catalog.latest_fp(str(run), "dedup") == s.fingerprint and ref.documents == documents  # the chain
    assert flow(str(run), documents, DedupParams()) == ref
