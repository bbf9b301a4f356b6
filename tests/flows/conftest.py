"""The curated tiny run, built once per session for every flow test that reads its manifest."""

import pytest

from tests.flows.pipeline import run_pipeline


@pytest.fixture(scope="session")
def built(tmp_path_factory, prefect_harness):
    tmp = tmp_path_factory.mktemp("emit")
    return tmp, run_pipeline(tmp, "run")
