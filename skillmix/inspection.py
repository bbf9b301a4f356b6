"""Commands that read a run and change nothing in it: `skillmix status` (what is in a run, and what a rerun would
recompute), `skillmix verify` (a manifest against its shards) and `skillmix report` (report.html)."""

from __future__ import annotations

from typing import Annotated

import typer

from skillmix import show
from skillmix.app import app, checked, console, fail, local_api
from skillmix.options import RunOpt

PANEL = "inspect a run"


@app.command(rich_help_panel=PANEL)
def status(run: RunOpt) -> None:
    """What RUN holds: each stage's committed outputs, the latest one and its parameters, anything a crash left
    uncommitted, and what a rerun of `skillmix run` would recompute."""
    from tasks.common import io
    from tasks.report import sections
    from tasks.report import status as run_status

    if not io.exists(run):
        fail(f"{run}: no such run directory")
    show.section(console, checked(lambda: sections.status(run_status.status(run))))


@app.command(rich_help_panel=PANEL)
def verify(manifest: Annotated[str, typer.Argument(help="a manifest.json written by `skillmix emit`")]) -> None:
    """Recompute every shard's sha256, token and document counts; exit 1 naming the first mismatch."""
    from rich.markup import escape

    from tasks.emit.verify import VerifyError
    from tasks.emit.verify import verify as verify_manifest
    from tasks.report import sections

    try:
        out = verify_manifest(manifest)
    except VerifyError as e:
        fail(str(e), code=1)
    console.print(f"[green]ok[/]: {out.skills} skills, {escape(sections.checked(out))}: {escape(manifest)}")


@app.command(rich_help_panel=PANEL)
def report(run: RunOpt) -> None:
    """RUN/report/report.html: one self-contained page of every stage's counts and figures, the mixtures, the law
    fits and the manifest's token budget; the same sections as a Prefect Markdown artifact (`run-report`)."""
    from flows.report import report as report_flow
    from tasks.report import stage

    checked(stage.check, run)  # before a server starts
    local_api(None)
    out = checked(report_flow, run)
    missing = [k for k, present in out.sections.items() if not present]
    console.print(f"report: {out.html} (+ {out.markdown.rsplit('/', 1)[-1]})")
    if missing:
        console.print(f"sections not run yet: {', '.join(missing)} (the page names the command for each)")
