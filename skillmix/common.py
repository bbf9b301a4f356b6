"""What every `skillmix` command module shares: the Typer app, the consoles, option types and error handling."""

from __future__ import annotations

from typing import Annotated

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

INPUTS_HELP = "JSONL(.gz/.zst), Parquet, .txt/.md files or directories; local paths or fsspec URIs"
RunOpt = Annotated[str, typer.Option("--run", help="run directory: a local path or an fsspec URI")]
DaskOpt = Annotated[
    str | None, typer.Option("--dask-address", help="existing Dask scheduler, e.g. tcp://host:8786 (default: local)")
]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="local Dask workers (default: one per core)")]


def _fail(message: str, code: int = 2) -> None:
    # escaped: messages quote user text ('[', file names); unwrapped: paths stay copyable
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _validated(kind: str, build):
    """`build()` (which makes a params model), or exit 2 naming its first invalid option (field or cross-field)."""
    from pydantic import ValidationError

    try:
        return build()
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or kind
        _fail(f"invalid {kind} option: {where}: {first['msg']}")


def _run_flow(fn, *args, **kwargs):
    """Call a flow, turning input errors into a one-line message and exit code 2."""
    from pydantic import ValidationError

    from tasks.common.errors import InputError

    try:
        return fn(*args, **kwargs)
    except InputError as e:
        _fail(str(e))
    except ValidationError as e:
        _fail(f"invalid parameters: {e}")


def _local_api(dask_address: str | None) -> None:
    """Start one local Prefect API for this process and its Dask worker processes (before any runner is made:
    the runner chooses process workers only when their API URL is in the environment)."""
    from flows.runtime import share_local_api

    if not dask_address:
        share_local_api()


def _proxy(preset: str, steps: int, **kw):
    """TrainParams of a short proxy run from the CLI: warmup a tenth of the steps, at most 20."""
    from schemas.config import TrainParams

    return TrainParams(preset=preset, steps=steps, warmup=min(20, steps // 10), **kw)


CURATE_STAGES = ("ingest", "dedup", "skills", "tokens")
STAGE_UNITS = {"ingest": "B", "dedup": "docs", "skills": "docs", "tokens": "docs", "attribution": "docs",
               "attribution-skills": "runs", "proxies": "steps"}  # fmt: skip


def _with_progress(run: str, stages: list[str], flow, *args):
    """Run a flow, with a progress bar per stage over what it reports under RUN/work/<stage>/ (bytes, docs, runs,
    steps)."""
    from skillmix.progress import watch
    from tasks.common import io

    watched = [(s, io.join(run, "work", s, "*", "progress", "*.json"), STAGE_UNITS[s]) for s in stages]
    with watch(console, watched):
        return _run_flow(flow, *args)
