"""The ingest flow with the Prefect engine on (test server), tiny data."""

import json

import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.ingest import ingest
from schemas.config import IngestParams
from tasks.common import catalog
from tasks.common.errors import InputError
from tests.conftest import BAD_LINES, GOOD, MAX_DOC_BYTES

PARAMS = IngestParams(max_doc_bytes=MAX_DOC_BYTES, max_reject_fraction=1.0)
pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_ingest_flow_counts_report_latest_and_noop_rerun(planted, tmp_path):
    run = tmp_path / "run"
    flow = ingest.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    ref = flow([str(planted)], str(run), PARAMS)
    s = catalog.summary(ref)
    assert (s.kept, s.rejected) == (len(GOOD), len(BAD_LINES)) and ref.documents.num_rows == len(GOOD)
    on_disk = json.loads((run / "report" / "ingest" / "summary.json").read_text())
    assert on_disk == s.model_dump(mode="json") and on_disk["counts_add_up"]
    assert (run / "report" / "ingest" / "ingest.png").read_bytes()[:4] == b"\x89PNG"
    assert catalog.latest_fp(str(run), "ingest") == s.fingerprint == ref.fingerprint
    assert catalog.latest(str(run), "ingest") == ref
    assert flow([str(planted)], str(run), PARAMS) == ref


def test_flow_raises_the_named_input_error(tmp_path):
    (tmp_path / "table.csv").write_text("a,b\n")
    flow = ingest.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    with pytest.raises(InputError, match="table.csv: unknown format"):
        flow([str(tmp_path / "table.csv")], str(tmp_path / "run"))
