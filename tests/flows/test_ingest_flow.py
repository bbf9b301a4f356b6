"""The flows with the Prefect engine on (test server), tiny data."""

import json

import pytest
from prefect.task_runners import ThreadPoolTaskRunner

from flows.curate import curate
from flows.ingest import ingest
from schemas.config import IngestParams, PipelineParams
from tasks.common.errors import InputError
from tests.conftest import BAD_LINES, GOOD, MAX_DOC_BYTES

PARAMS = IngestParams(max_doc_bytes=MAX_DOC_BYTES, max_reject_fraction=1.0)
pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_ingest_flow_counts_report_and_noop_rerun(planted, tmp_path):
    run = tmp_path / "run"
    flow = ingest.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))
    result = flow([str(planted)], str(run), PARAMS)
    assert (result.summary["kept"], result.summary["rejected"]) == (len(GOOD), len(BAD_LINES))
    on_disk = json.loads((run / "report" / "ingest" / "summary.json").read_text())
    assert on_disk == result.summary and on_disk["counts_add_up"]
    assert (run / "report" / "ingest" / "ingest.png").read_bytes()[:4] == b"\x89PNG"
    assert (run / "documents" / "_LATEST").read_text() == result.summary["fingerprint"]
    assert flow([str(planted)], str(run), PARAMS) == result


def test_curate_runs_ingest_on_a_dask_local_cluster(planted, tmp_path):
    out = curate([str(planted)], str(tmp_path / "run"), PipelineParams(ingest=PARAMS), workers=2)
    assert out["ingest"]["records"] == len(GOOD) + len(BAD_LINES)
    assert out["dedup"]["documents_in"] == out["ingest"]["kept"] and out["dedup"]["counts_add_up"]


def test_flow_raises_the_named_input_error(tmp_path):
    (tmp_path / "table.csv").write_text("a,b\n")
    flow = ingest.with_options(task_runner=ThreadPoolTaskRunner(max_workers=1))
    with pytest.raises(InputError, match="table.csv: unknown format"):
        flow([str(tmp_path / "table.csv")], str(tmp_path / "run"))
