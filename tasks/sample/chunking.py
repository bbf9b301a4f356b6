"""Split long source texts into document-sized chunks. Pure.

Code is cut at top-level statement boundaries (so a chunk holds whole functions/classes), prose at
blank lines; a piece still far over the limit is cut at line boundaries.
"""

from __future__ import annotations

import ast


def _pack(pieces: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive pieces into chunks of at most ~max_chars (a single piece may exceed it)."""
    chunks, current = [], ""
    for piece in pieces:
        if current and len(current) + len(piece) > max_chars:
            chunks.append(current)
            current = ""
        current += piece
    if current:
        chunks.append(current)
    return [c for c in (_split_lines(c, max_chars) for c in chunks) for c in c]


def _split_lines(text: str, max_chars: int) -> list[str]:
    if len(text) <= 2 * max_chars:
        return [text]
    out, current = [], ""
    for line in text.splitlines(keepends=True):
        if current and len(current) + len(line) > max_chars:
            out.append(current)
            current = ""
        current += line
    return [*out, current] if current else out


def paragraphs(text: str, max_chars: int) -> list[str]:
    """Prose chunks cut at blank lines."""
    parts = text.replace("\r\n", "\n").split("\n\n")
    return [c.strip() for c in _pack([p + "\n\n" for p in parts], max_chars) if c.strip()]


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def code_blocks(source: str, tree: ast.Module | None, max_chars: int) -> list[str]:
    """Python source cut between top-level statements; unparsable source is cut at blank lines."""
    if tree is None:
        return paragraphs(source, max_chars)
    body = tree.body
    lines = source.splitlines(keepends=True)
    starts = sorted({0, *((n.lineno - 1 - len(getattr(n, "decorator_list", []))) for n in body[1:])})
    pieces = ["".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]
    return [c.strip("\n") + "\n" for c in _pack(pieces, max_chars) if c.strip()]


def api_doc(module: str, tree: ast.Module | None) -> str | None:
    """A pydoc-like page from a module's docstrings (module, classes, functions), or None if it has none."""
    if tree is None:
        return None
    out = []
    if doc := ast.get_docstring(tree):
        out.append(f"Help on module {module}:\n\n{doc}\n")
    for node in tree.body:
        documented = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if documented and not node.name.startswith("_") and (doc := ast.get_docstring(node)):
            kind = "class" if isinstance(node, ast.ClassDef) else "def"
            out.append(f"{kind} {module}.{node.name}\n    " + doc.replace("\n", "\n    ") + "\n")
    text = "\n".join(out)
    return text if len(text) >= 300 else None
