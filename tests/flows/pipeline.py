"""A tiny corpus taken through the curate flow to a manifest, shared by the emit and train flow tests."""

import json
from pathlib import Path

from prefect.task_runners import ThreadPoolTaskRunner

from flows.curate import curate
from schemas.config import EmitParams, IngestParams, PipelineParams, SkillsParams, TokensParams
from tests.conftest import write_jsonl
from tests.flows.test_skills_flow import corpus

PARAMS = PipelineParams(ingest=IngestParams(), skills=SkillsParams(k=3), tokens=TokensParams(vocab_size=400),
                        emit=EmitParams(seq_len=32, shard_tokens=1024))  # fmt: skip


def run_pipeline(tmp, name, params: PipelineParams = PARAMS):
    src = tmp / "in.jsonl"
    if not src.exists():  # written once: its modification time is part of the ingest fingerprint
        write_jsonl(src, corpus(30, seed=11))
    out = curate.with_options(task_runner=ThreadPoolTaskRunner(max_workers=2))([str(src)], str(tmp / name), params)
    return out


def manifest_of(built):
    _, out = built
    path = out["manifest"]
    return path, json.loads(Path(path).read_text())


def artifacts(key: str, flow_run: str | None = None) -> list:
    """The data of every Prefect artifact with `key` (of one flow run, if given) on the test server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    f = ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
    if flow_run:
        f.flow_run_id = ArtifactFilterFlowRunId(any_=[flow_run])
    with get_client(sync_client=True) as client:
        return [a.data for a in client.read_artifacts(artifact_filter=f)]
