"""Operations against real components: a `prefect server` on 127.0.0.1, a process work pool and worker running
the rerun-on-new-corpus deployment of deployments/prefect.yaml (and `skillmix run` on the same inputs giving the
same verified manifest and report), and the curate flow on a Dask LocalCluster of two worker processes reached by
--dask-address. Everything started is stopped by pid (the server fixture) or exits by itself (a --run-once worker,
the cluster's context)."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from distributed import LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from tasks.emit.verify import verify
from tests.conftest import write_jsonl
from tests.flows.pipeline import PARAMS, corpus

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _run(server: dict, *args: str, timeout: int = 300) -> str:
    p = subprocess.run(args, cwd=ROOT, env=server["env"], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{args}: {p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout


def _report_text(run: Path) -> str:
    """The run's report.md without its path and without the ingest's wall time (the only value that may differ)."""
    text = (run / "report" / "report.md").read_text().replace(str(run), "RUN")
    return "\n".join(line for line in text.splitlines() if not line.startswith("| read |"))


def test_rerun_on_new_corpus_deployment_and_skillmix_run_give_the_same_verified_manifest_and_report(
    prefect_server, built, tmp_path
):
    server, previous = prefect_server, built[0] / "run"
    drop = write_jsonl(tmp_path / "drop.jsonl", corpus(30, seed=11)[:45] + corpus(15, seed=99, start=100))
    _run(server, server["prefect"], "work-pool", "create", "skillmix-cpu", "--type", "process")
    _run(server, server["prefect"], "--no-prompt", "deploy", "--prefect-file", "deployments/prefect.yaml",
         "--name", "rerun-on-new-corpus")  # fmt: skip
    params = {"inputs": [str(drop)], "run": str(tmp_path / "next"), "against": str(previous),
              "params": PARAMS.model_dump(mode="json")}  # fmt: skip
    out = _run(server, server["prefect"], "deployment", "run", "curate/rerun-on-new-corpus", "--params",
               json.dumps(params))  # fmt: skip
    flow_run = re.search(r"UUID: ([0-9a-f-]{36})", out).group(1)
    _run(server, server["prefect"], "worker", "start", "--pool", "skillmix-cpu", "--run-once", timeout=500)

    with temporary_settings({PREFECT_API_URL: server["url"]}), get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run).state
    assert state.is_completed(), state
    deployed = tmp_path / "next"
    dedup = json.loads((deployed / "report" / "dedup" / "summary.json").read_text())
    assert dedup["against"].startswith(f"{previous}/attributes/dedup/") and dedup["documents_in"] == 90
    assert dedup["kept"] == 45 and dedup["dropped_by_reason"]["exact_duplicate"] == 45  # the earlier run's copies
    manifest = next(deployed.glob("emit/*/manifest.json"))
    recorded = json.loads((deployed / "report" / "emit" / "verified.json").read_text())
    assert recorded == verify(str(manifest)).model_dump(mode="json")  # the flow verified what it emitted

    preset = tmp_path / "params.json"  # the command, on the same inputs with the same parameters
    preset.write_text(PARAMS.model_dump_json())
    skillmix = str(Path(server["prefect"]).with_name("skillmix"))
    cli = tmp_path / "cli"
    printed = _run(server, skillmix, "run", str(drop), "--run", str(cli), "--params", str(preset), "--against",
                   str(previous), timeout=600)  # fmt: skip
    assert "verified" in printed
    assert next(cli.glob("emit/*/manifest.json")).read_bytes() == manifest.read_bytes()
    assert _report_text(cli) == _report_text(deployed)


class _Workers(SchedulerPlugin):
    """A Dask scheduler plugin: the workers that finished a task."""

    name = "seen-workers"

    def __init__(self):
        super().__init__()
        self.seen: set[str] = set()

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "memory" and kwargs.get("worker"):
            self.seen.add(kwargs["worker"])


def test_curate_runs_on_a_two_process_dask_cluster_reached_by_address(prefect_server, tmp_path):
    server = prefect_server
    inputs = tmp_path / "drop"
    records = corpus(30, seed=11)
    inputs.mkdir()
    for i in range(4):  # four files: ingest and every later stage get several partitions to spread
        write_jsonl(inputs / f"part-{i}.jsonl", records[i::4])
    seen = _Workers()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      env={"PREFECT_API_URL": server["url"]}) as cluster:  # fmt: skip
        cluster.scheduler.add_plugin(seen)
        skillmix = str(Path(server["prefect"]).with_name("skillmix"))
        out = _run(server, skillmix, "run", str(inputs), "--run", str(tmp_path / "run"), "--k", "3", "--seq-len",
                   "32", "--dask-address", cluster.scheduler_address, timeout=600)  # fmt: skip
        workers = set(cluster.scheduler.workers)
    assert len(workers) == 2 and seen.seen == workers  # both worker processes ran tasks
    assert "verified" in out
    manifest = next((tmp_path / "run" / "emit").glob("*/manifest.json"))
    assert verify(str(manifest)).skills == 3
