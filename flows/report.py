"""Report: every stage's summary and figures, the mixtures and the manifest's budget -> RUN/report/report.html,
and the same as a Prefect Markdown artifact."""

from __future__ import annotations

from prefect import flow

from tasks.report.prefect_tasks import write_report


@flow(name="report", log_prints=True)
def report(run: str) -> dict:
    """Write the run's report; returns {html, markdown, sections: {id: present}}."""
    out = write_report(run)
    missing = [k for k, present in out["sections"].items() if not present]
    print(f"report: {out['html']}" + (f" (not run yet: {', '.join(missing)})" if missing else ""))
    return out
