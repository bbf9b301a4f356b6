"""Command-line options built from the parameter models: the default and help text of an option are its field's,
so `skillmix --help` and schemas/config.py never disagree. Options shared by several commands live here too."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import BaseModel

MiB = 1 << 20


def default(model: type[BaseModel], name: str) -> Any:
    """A field's default (a nested model's default instance for `proxy` and the like)."""
    return model.model_fields[name].default


def option(model: type[BaseModel], name: str, *decls: str, note: str = "", **kw) -> Any:
    """A typer option whose help is the field's description (+ `note`, e.g. a unit the command converts)."""
    text = model.model_fields[name].description or ""
    return typer.Option(*decls, help=f"{text}{f' ({note})' if note else ''}", **kw)


def listed(values: tuple | list) -> str:
    """A tuple default as the comma-separated text a command takes."""
    return ",".join(str(v) for v in values)


def integers(text: str, what: str, kind: str) -> tuple[int, ...]:
    """Comma-separated integers, or exit 2 naming the option."""
    from skillmix.app import fail

    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        fail(f"invalid {kind} option: {what} {text!r}: comma-separated integers")


def skills_k(k: str) -> int | None:
    """--k: a whole number of skills, or auto (None); exit 2 otherwise."""
    from skillmix.app import fail

    if k != "auto" and not k.isdigit():
        fail(f"invalid skills option: --k {k!r}: give a whole number of skills or 'auto'")
    return None if k == "auto" else int(k)


FiltersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filters",
        help="rules over the statistics, comma-separated or repeated: gopher (= gopher_repetition + "
        "gopher_quality), c4, fineweb, lang=en,de; PRESET.PARAM=VALUE changes a threshold (e.g. "
        "lang.language_threshold=0.8, fineweb.line_punct_thr=0.1). Default: none (statistics only)",
    ),
]
FilterSourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--filter-source", help="apply the --filters to documents of these sources only (repeat or comma-separate)"
    ),
]


def quality_params(filters: list[str] | None, filter_source: list[str] | None, examples: int = 3) -> Any:
    """--filters and --filter-source as QualityParams, or exit 2 naming the bad rule."""
    from schemas.config import QualityParams
    from skillmix.app import fail, validated

    sources = [s.strip() for v in filter_source or [] for s in v.split(",") if s.strip()]
    try:
        return validated("quality", lambda: QualityParams.from_specs(filters or [], sources, examples))
    except ValueError as e:
        fail(f"invalid quality option: {e}")


INPUTS_HELP = "JSONL(.gz/.zst), Parquet, .txt/.md files or directories; local paths or fsspec URIs"
RunOpt = Annotated[str, typer.Option("--run", help="run directory: a local path or an fsspec URI")]
DaskOpt = Annotated[
    str | None, typer.Option("--dask-address", help="existing Dask scheduler, e.g. tcp://host:8786 (default: local)")
]
WorkersOpt = Annotated[int | None, typer.Option("--workers", min=1, help="local Dask workers (default: one per core)")]
DeviceOpt = Annotated[str, typer.Option(help="torch device: cpu, cuda or cuda:N")]
AgainstOpt = Annotated[str | None, typer.Option(help="an earlier run: drop what duplicates its kept documents")]
