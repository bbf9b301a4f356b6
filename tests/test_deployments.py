"""deployments/prefect.yaml and the presets are valid against the flows they name."""

import importlib
from pathlib import Path

import yaml
from prefect.client.schemas.schedules import CronSchedule

from schemas.config import PipelineParams

DEPLOY = Path(__file__).resolve().parents[1] / "deployments"


def test_each_deployment_names_a_flow_its_parameters_fit():
    spec = yaml.safe_load((DEPLOY / "prefect.yaml").read_text())
    assert spec["prefect-version"] == "3.8.8"
    assert {d["name"] for d in spec["deployments"]} >= {"nightly-curation", "rerun-on-new-corpus", "train-gpu"}
    rerun = next(d for d in spec["deployments"] if d["name"] == "rerun-on-new-corpus")
    assert rerun["entrypoint"] == "flows/curate.py:curate" and rerun["parameters"]["against"]  # incremental dedup
    for d in spec["deployments"]:
        path, name = d["entrypoint"].split(":")  # flows/curate.py:curate, relative to the repo root
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        flow.validate_parameters(d["parameters"])  # raises on unknown or ill-typed parameters
        assert d["work_pool"]["name"] == ("skillmix-gpu" if "gpu" in d["tags"] else "skillmix-cpu")
        for s in d.get("schedules", []):
            CronSchedule(cron=s["cron"], timezone=s["timezone"])


def test_presets_validate():
    presets = sorted((DEPLOY / "params").glob("*.yaml"))
    assert [p.name for p in presets] == ["full.yaml", "smoke.yaml"]
    for preset in presets:
        assert PipelineParams(**yaml.safe_load(preset.read_text())) != PipelineParams()  # each sets something
