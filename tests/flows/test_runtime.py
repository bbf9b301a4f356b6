"""Long stages publish their progress as Prefect progress artifacts (the CLI's bars read progress files)."""

import pytest
from prefect import flow, task
from prefect.context import get_run_context

from flows.runtime import tracked
from tests.flows.pipeline import artifacts

pytestmark = pytest.mark.usefixtures("prefect_harness")


@task
def _square(x: int) -> int:
    return x * x


@flow
def _squares(n: int) -> tuple[list[int], str]:
    return tracked(_square.map(range(n)), "squares"), str(get_run_context().flow_run.id)


@pytest.mark.parametrize("n", [3, 0])
def test_mapped_tasks_return_in_order_and_finish_their_progress_artifact(n):
    out, run_id = _squares(n)
    assert out == [x * x for x in range(n)]
    assert artifacts("squares-progress", run_id) == [100.0]


def test_every_mapped_curate_stage_published_its_progress(built):
    for stage in ("ingest", "dedup", "skills", "tokens", "emit"):
        done = artifacts(f"{stage}-progress")
        assert done and 100.0 in done, stage
