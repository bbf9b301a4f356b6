"""Where flows run: the Dask task runner and the Prefect API that its workers report to.

Default: a Dask LocalCluster sized to the machine. Process workers need a Prefect API they can all
reach; with no PREFECT_API_URL each worker process would start its own temporary server (~10 s
each, ../shared/REFERENCE.md 4.4), so `share_local_api` starts Prefect's temporary server once in
this process and exports its URL for the workers to inherit. Without it, workers are threads.
`--dask-address` sends tasks to an existing cluster instead (its workers need PREFECT_API_URL).
"""

from __future__ import annotations

import os

from prefect_dask import DaskTaskRunner


def api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()


def share_local_api() -> str:
    """The Prefect API URL, starting the temporary local server once if none is configured."""
    if url := api_url():
        return url
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same singleton Prefect's own ephemeral client uses
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url  # inherited by Dask worker processes
    return server.api_url


def local_cluster_kwargs(workers: int | None = None) -> dict:
    """LocalCluster arguments: one single-threaded process per core when workers can reach an API."""
    n = workers or max(1, min(os.cpu_count() or 1, 8))
    common = {"dashboard_address": "127.0.0.1:0"}  # never bind 0.0.0.0:8787
    if os.environ.get("PREFECT_API_URL"):  # what worker processes inherit, not just this process's settings
        return {"n_workers": n, "threads_per_worker": 1, "processes": True, **common}
    return {"n_workers": 1, "threads_per_worker": n, "processes": False, **common}


def task_runner(dask_address: str | None = None, workers: int | None = None) -> DaskTaskRunner:
    if dask_address:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(workers))


def tracked(futures, name: str) -> list:
    """The results of mapped task futures, in order; a Prefect progress artifact `<name>-progress` shows the
    share of them finished, updated as each one finishes (the CLI's bars read the tasks' progress files)."""
    from prefect.artifacts import create_progress_artifact, update_progress_artifact
    from prefect.futures import as_completed

    futures = list(futures)
    artifact = create_progress_artifact(0.0 if futures else 100.0, key=f"{name}-progress",
                                        description=f"{name}: {len(futures)} tasks")  # fmt: skip
    for done, _ in enumerate(as_completed(futures), 1):
        update_progress_artifact(artifact, 100.0 * done / len(futures), description=f"{name}: {done}/{len(futures)}")
    return [f.result() for f in futures]
