"""Prefect task for the run report: the page on disk, the same sections as a Markdown artifact."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.report import stage


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(run: str) -> dict:
    """RUN/report/report.html (+ report.md), published as the `run-report` Markdown artifact."""
    out = stage.write(run)
    create_markdown_artifact(out.pop("markdown_text"), key="run-report", description=f"skillmix report of {run}")
    return out
