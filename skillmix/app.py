"""What every `skillmix` command module shares: the Typer app, the consoles, and how a command runs a flow (errors
as one line and exit code 2, progress bars from the tasks' progress files)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from skillmix import env

env.configure()

app = typer.Typer(
    help="Curate a raw corpus into a weighted token manifest. Every stage writes RUN/report/<stage>/summary.json.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)
err = Console(stderr=True)

STAGE_UNITS = {"ingest": "B", "dedup": "docs", "quality": "docs", "skills": "docs", "tokens": "docs",
               "attribution": "docs", "attribution-skills": "runs", "proxies": "steps"}  # fmt: skip


def fail(message: str, code: int = 2) -> None:
    # escaped: messages quote user text ('[', file names); unwrapped: paths stay copyable
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def validated(kind: str, build):
    """`build()` (which makes a params model), or exit 2 naming its first invalid option (field or cross-field)."""
    from pydantic import ValidationError

    try:
        return build()
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or kind
        fail(f"invalid {kind} option: {where}: {first['msg']}")


def checked(fn, *args, **kwargs):
    """`fn(*args)`, turning input errors into a one-line message and exit code 2 (for checks before a flow)."""
    from pydantic import ValidationError

    from tasks.common.errors import InputError

    try:
        return fn(*args, **kwargs)
    except InputError as e:
        fail(str(e))
    except ValidationError as e:
        fail(f"invalid parameters: {e}")


def latest(run: str, stage: str):
    """The run catalog's latest output of `stage` in `run`, or exit 2 naming the command that makes it."""
    from tasks.common import catalog

    return checked(catalog.latest, run, stage)


def local_api(dask_address: str | None) -> None:
    """Start one local Prefect API for this process and its Dask worker processes (before any runner is made:
    the runner chooses process workers only when their API URL is in the environment)."""
    from flows.runtime import share_local_api

    if not dask_address:
        share_local_api()


def with_progress(run: str, stages: list[str], flow, *args, **kwargs):
    """Run a flow, with a progress bar per stage over what its tasks report (bytes, docs, runs, steps)."""
    from skillmix.progress import watch
    from tasks.common import catalog

    watched = [(s, catalog.progress_glob(run, s), STAGE_UNITS[s]) for s in stages]
    with watch(console, watched):
        return checked(flow, *args, **kwargs)
