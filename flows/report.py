"""Report: every stage's latest output and figures, the mixtures and the manifest's budget -> RUN/report/report.html,
and the same as a Prefect artifact."""

from __future__ import annotations

from prefect import flow

from schemas.outputs import ReportPage
from tasks.report.prefect_tasks import write_report


@flow(name="report", log_prints=True)
def report(run: str) -> ReportPage:
    """Write the run's report; returns where it is and which sections have content."""
    out = write_report(run)
    missing = [k for k, present in out.sections.items() if not present]
    print(f"report: {out.html}" + (f" (not run yet: {', '.join(missing)})" if missing else ""))
    return out
