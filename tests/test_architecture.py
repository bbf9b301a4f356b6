"""Keep the boundaries of ../shared/STYLE.md honest."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_only_prefect_tasks_modules_import_prefect():
    for path in (ROOT / "tasks").rglob("*.py"):
        if path.name != "prefect_tasks.py":
            assert not any(m.split(".")[0] == "prefect" for m in _imports(path)), f"{path} imports prefect"


def test_schemas_import_no_behaviour():
    for path in (ROOT / "schemas").rglob("*.py"):
        assert not any(m.startswith(("tasks", "flows", "prefect")) for m in _imports(path)), path


def test_only_io_opens_files_under_tasks():
    allowed = {"io.py", "corpus.py"}  # corpus.py reads the Python installation it samples
    for path in (ROOT / "tasks").rglob("*.py"):
        if path.name not in allowed:
            src = path.read_text()
            assert "open(" not in src.replace("open_binary(", "") and "fsspec" not in src, path
