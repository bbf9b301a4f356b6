"""The curate flow: every stage chained by refs to a verified manifest and the run report."""

import json
from pathlib import Path

import pytest

from flows.curate import curate
from schemas.config import IngestParams, PipelineParams, SkillsParams
from tasks.common import catalog
from tests.conftest import BAD_LINES, GOOD, MAX_DOC_BYTES

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_curate_ends_in_a_verified_manifest_whose_chain_the_catalog_names_latest(built):
    tmp, out = built
    run = str(tmp / "run")
    m = json.loads(Path(out.manifest.manifest).read_text())
    assert out.verified.shards == sum(len(s["shards"]) for s in m["skills"]) and out.verified.skills == 3
    assert catalog.latest(run, "emit") == out.manifest  # every stage advanced its latest to what the chain used
    chain = out.manifest.mixture.tokens.skills.quality.documents
    assert catalog.latest(run, "ingest") == chain and catalog.latest(run, "tokens") == out.manifest.mixture.tokens
    assert out.report.html == f"{run}/report/report.html" and all(
        out.report.sections[s] for s in ("status", "ingest", "dedup", "skills", "tokens", "mixtures", "budget")
    )
    verified = json.loads((tmp / "run" / "report" / "emit" / "verified.json").read_text())
    assert verified == out.verified.model_dump(mode="json")


def test_curate_runs_on_a_dask_local_cluster(planted, tmp_path):
    params = PipelineParams(ingest=IngestParams(max_doc_bytes=MAX_DOC_BYTES, max_reject_fraction=1.0),
                            skills=SkillsParams(k=2))  # fmt: skip
    out = curate([str(planted)], str(tmp_path / "run"), params, workers=2)
    documents = catalog.summary(out.manifest.mixture.tokens.skills.quality.documents)
    assert documents.records == len(GOOD) + len(BAD_LINES) and out.verified.skills == 2
    dedup = catalog.summary(out.manifest.mixture.tokens.skills.quality.dedup)
    assert dedup.documents_in == documents.kept and dedup.counts_add_up


def _status(run) -> str:
    from typer.testing import CliRunner

    from skillmix.cli import app

    res = CliRunner().invoke(app, ["status", "--run", str(run)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    return res.output


def _row(out: str, stage: str) -> list[str]:
    line = next(x for x in out.splitlines() if x.startswith(f"│ {stage} "))
    return [c.strip() for c in line.strip("│").split("│")]


def test_status_of_a_curated_run_and_of_one_with_a_stage_interrupted(built, tmp_path):
    from tests.flows.pipeline import own_copy

    tmp, out = built
    chain = out.manifest.mixture.tokens
    done = _status(tmp / "run")
    assert "a rerun of `skillmix run` recomputes: nothing" in done
    ingest = _row(done, "ingest")
    assert (
        ingest[1:4] == ["current", chain.skills.quality.documents.fingerprint, "1"]
        and "90 documents kept of 90 records" in ingest[5]
    )
    assert _row(done, "skills")[4] == "k=3; embed: defaults" and "3 skills over 90 documents" in _row(done, "skills")[5]
    assert _row(done, "tokens")[6] == f"made from skills {chain.skills.fingerprint}"
    assert _row(done, "attribution")[1] == "not run" and "`skillmix attribution --run" in done
    run = own_copy(built, tmp_path)
    (run / "attributes" / "tokens" / chain.fingerprint / "_SUCCESS").unlink()  # killed before tokens committed
    broken = _status(run)
    assert _row(broken, "tokens")[1:4] == ["interrupted", chain.fingerprint, "0"]
    assert (
        "a rerun of `skillmix run` recomputes: tokens" in broken
        and "tokens is interrupted (a rerun resumes it)" in broken
    )
    assert f"│ tokens │ {chain.fingerprint} │" in broken  # the uncommitted directory, with its committed parts
