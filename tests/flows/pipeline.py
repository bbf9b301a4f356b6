"""A tiny corpus taken through the curate flow to a verified manifest, shared by the flow tests that read it."""

import json
import shutil
from pathlib import Path

from prefect.task_runners import ThreadPoolTaskRunner

from flows.curate import curate
from schemas.config import EmitParams, IngestParams, PipelineParams, SkillsParams, TokensParams
from schemas.refs import CurateResult
from tests.conftest import TOPICS, corpus, write_jsonl  # noqa: F401  (TOPICS, corpus: for the flow tests)

PARAMS = PipelineParams(ingest=IngestParams(), skills=SkillsParams(k=3), tokens=TokensParams(vocab_size=400),
                        emit=EmitParams(seq_len=32, shard_tokens=1024))  # fmt: skip


def run_pipeline(tmp, name, params: PipelineParams = PARAMS) -> CurateResult:
    src = tmp / "in.jsonl"
    if not src.exists():  # written once: its modification time is part of the ingest fingerprint
        write_jsonl(src, corpus(30, seed=11))
    return curate.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))([str(src)], str(tmp / name), params)


def manifest_of(built) -> tuple[str, dict]:
    _, out = built
    path = out.manifest.manifest
    return path, json.loads(Path(path).read_text())


def own_copy(built, tmp_path) -> Path:
    """A copy of the shared built run for a test that writes into it (the shared one stays as built)."""
    run = tmp_path / "run"
    shutil.copytree(built[0] / "run", run)
    return run


def artifacts(key: str, flow_run: str | None = None) -> list:
    """The data of every Prefect artifact with `key` (of one flow run, if given) on the test server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    f = ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
    if flow_run:
        f.flow_run_id = ArtifactFilterFlowRunId(any_=[flow_run])
    with get_client(sync_client=True) as client:
        return [a.data for a in client.read_artifacts(artifact_filter=f)]
