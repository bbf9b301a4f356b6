"""Prefect task for the run report: the page on disk, the same sections as a Markdown artifact."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from schemas.outputs import ReportPage
from tasks.report import stage


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(run: str) -> ReportPage:
    """RUN/report/report.html (+ report.md), published as the `run-report` Markdown artifact."""
    page, md = stage.write(run)
    create_markdown_artifact(md, key="run-report", description=f"skillmix report of {run}")
    return page
