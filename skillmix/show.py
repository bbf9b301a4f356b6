"""Sections (tasks.report.sections, the renderer the run report shares) printed in the terminal with rich."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tasks.report.sections import Section, text


def section(console: Console, s: Section) -> None:
    """Title, `name: value` facts, tables and notes, in that order; a missing section names its command."""
    console.print(f"[bold]{escape(s.title)}[/]")
    if s.missing:
        console.print(f"[yellow]{escape(s.missing)}[/]")
    for name, value in s.facts:
        v = text(value)
        console.print(f"{escape(name)}: " + ("[bold red]NO[/]" if v == "NO" else escape(v)), soft_wrap=True)
    for caption, header, rows in s.tables:
        t = Table(title=escape(caption), header_style="bold")
        for i, h in enumerate(header):
            numeric = any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows if i < len(r))
            t.add_column(escape(str(h)), justify="right" if numeric else "left")
        for row in rows:
            t.add_row(*[escape(text(v)) for v in row])
        console.print(t)
    for note in s.notes:
        console.print(escape(note), soft_wrap=True)
