"""The run report as one self-contained HTML page: sections of key-value tables, tables and PNG figures
(embedded as data URIs, so the file travels alone). Values in, a string out; no files."""

from __future__ import annotations

import base64
import html

from tasks.report.sections import Section, text

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.25em .6em;font-size:.9em}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0}img{max-width:100%}figcaption{font-size:.85em;color:#555}
.missing{color:#a60;font-style:italic}nav a{margin-right:1em}
"""


def _cell(v) -> str:
    number = isinstance(v, int | float) and not isinstance(v, bool)
    return f'<td class="n">{text(v)}</td>' if number else f"<td>{html.escape(text(v))}</td>"


def render(title: str, subtitle: str, sections: list[Section]) -> str:
    """The page: a title, a navigation line, then each section in order."""
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(subtitle)}</p>",
           "<nav>" + "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections) + "</nav>"]  # fmt: skip
    for s in sections:
        out.append(f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>')
        if s.missing:
            out.append(f'<p class="missing">{html.escape(s.missing)}</p>')
        out += [f"<p>{html.escape(n)}</p>" for n in s.notes]
        if s.facts:
            out.append("<table>" + "".join(f"<tr><th>{html.escape(k)}</th>{_cell(v)}</tr>" for k, v in s.facts)
                       + "</table>")  # fmt: skip
        for caption, header, rows in s.tables:
            head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
            body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
            out.append(f"<table><caption>{html.escape(caption)}</caption><tr>{head}</tr>{body}</table>")
        for caption, png in s.figures:
            data = base64.b64encode(png).decode()
            out.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{html.escape(caption)}</figcaption></figure>")  # fmt: skip
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def markdown(title: str, sections: list[Section]) -> str:
    """The same sections as Markdown (facts and tables; figures named), for a Prefect artifact."""
    out = [f"# {title}"]
    for s in sections:
        out.append(f"\n## {s.title}")
        if s.missing:
            out.append(f"_{s.missing}_")
        out += [f"\n{n}" for n in s.notes]
        if s.facts:
            out += ["| | |", "|---|---|"] + [f"| {k} | {_md(v)} |" for k, v in s.facts]
        for caption, header, rows in s.tables:
            out += [f"\n{caption}\n", "| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in rows]
        out += [f"\n(figure in report.html: {caption})" for caption, _ in s.figures]
    return "\n".join(out) + "\n"


def _md(v) -> str:
    return text(v).replace("|", "\\|")
