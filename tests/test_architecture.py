"""Keep the boundaries of ../shared/STYLE.md and the run catalog honest. Each rule's checker is also run on a tiny
planted tree that breaks it, so a rule cannot pass by checking nothing."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYOUT_OWNER = Path("tasks/common/catalog.py")  # the only module that spells the run layout


def _imports(path: Path) -> set[str]:
    """Every module a file imports, and for `from a import b` also `a.b` (b may be a module)."""
    tree = ast.parse(path.read_text())
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            names |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module:
            names |= {n.module} | {f"{n.module}.{a.name}" for a in n.names}
    return names


def _packages(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "tasks").iterdir() if (p / "__init__.py").exists() and p.name != "common")


def stage_imports_across_packages(root: Path) -> list[str]:
    """`file imports tasks.<other>.stage` for each module of a stage package importing another package's stage."""
    bad = []
    for pkg in _packages(root):
        for path in sorted((root / "tasks" / pkg).rglob("*.py")):
            for name in _imports(path):
                parts = name.split(".")
                if len(parts) >= 3 and parts[0] == "tasks" and parts[1] != pkg and parts[2] == "stage":
                    bad.append(f"{path.relative_to(root)} imports {name}")
    return bad


def package_graph(root: Path) -> dict[str, set[str]]:
    """tasks package -> the other tasks packages its modules import."""
    graph: dict[str, set[str]] = {}
    for pkg in [*_packages(root), "common"]:
        deps = set()
        for path in (root / "tasks" / pkg).rglob("*.py"):
            deps |= {n.split(".")[1] for n in _imports(path) if n.startswith("tasks.") and len(n.split(".")) > 1}
        graph[pkg] = deps - {pkg}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle of the graph found by depth-first search, each as the path that closes it."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def layout_spellings(root: Path) -> list[str]:
    """Places outside the catalog that build a path from a run directory (`io.join(run, ...)`, f"{run}/...") or
    name the `_LATEST` pointer."""
    bad = []
    for top in ("tasks", "flows", "skillmix"):
        for path in sorted((root / top).rglob("*.py")):
            if path.relative_to(root) == LAYOUT_OWNER:
                continue
            src = path.read_text()
            if "_LATEST" in src:
                bad.append(f"{path.relative_to(root)} names _LATEST")
            for n in ast.walk(ast.parse(src)):
                if isinstance(n, ast.Call) and n.args and _is_join(n.func) and _is_run(n.args[0]):
                    bad.append(f"{path.relative_to(root)}:{n.lineno} joins a path onto a run")
                if isinstance(n, ast.JoinedStr) and len(n.values) > 1 and _is_run(getattr(n.values[0], "value", None)):
                    rest = n.values[1]
                    if isinstance(rest, ast.Constant) and str(rest.value).startswith("/"):
                        bad.append(f"{path.relative_to(root)}:{n.lineno} formats a path under a run")
    return bad


def _is_join(f: ast.expr) -> bool:
    return isinstance(f, ast.Attribute) and f.attr == "join" and getattr(f.value, "id", "") in ("io", "posixpath")


def _is_run(e: ast.expr | None) -> bool:
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "rstrip":
        e = e.func.value  # run.rstrip('/')
    return (isinstance(e, ast.Name) and e.id == "run") or (isinstance(e, ast.Attribute) and e.attr == "run")


def untested_modules(root: Path) -> list[str]:
    """Modules of tasks/ and flows/ that define a function and have no mirroring test file. Prefect task modules are
    thin wrappers: the flows' tests run them."""
    missing = []
    for path in sorted([*(root / "tasks").rglob("*.py"), *(root / "flows").glob("*.py")]):
        if path.name in ("__init__.py", "prefect_tasks.py"):
            continue
        if not any(isinstance(n, ast.FunctionDef) for n in ast.walk(ast.parse(path.read_text()))):
            continue
        rel = path.relative_to(root)
        want = root / "tests" / rel.parent / f"test_{path.name}"
        if not want.exists():
            missing.append(f"{rel} -> {want.relative_to(root)}")
    return missing


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


def test_no_stage_package_imports_another_stages_stage_module():
    assert stage_imports_across_packages(ROOT) == []


def test_the_tasks_packages_import_each_other_without_a_cycle():
    graph = package_graph(ROOT)
    assert graph["common"] == set() and cycles(graph) == []


def test_only_the_catalog_spells_run_layout_paths_and_moves_latest():
    assert layout_spellings(ROOT) == []


def test_every_module_with_logic_has_a_mirroring_test_file():
    assert untested_modules(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_the_checkers_catch_what_they_forbid(tmp_path):
    root = _tree(tmp_path, {
        "tasks/__init__.py": "", "tasks/common/__init__.py": "", "tasks/a/__init__.py": "", "tasks/b/__init__.py": "",
        "tasks/common/catalog.py": "LATEST = '_LATEST'\n",
        "tasks/a/stage.py": "from tasks.b import stage as b_stage\nfrom tasks.common import io\n"
                            "def f(run):\n    return io.join(run, 'mix')\n",
        "tasks/b/stage.py": "from tasks.a import pure\n",
        "tasks/a/pure.py": "def g(p):\n    return f'{p.run}/emit/_LATEST'\n",
        "flows/__init__.py": "", "skillmix/__init__.py": "",
    })  # fmt: skip
    assert stage_imports_across_packages(root) == ["tasks/a/stage.py imports tasks.b.stage"]
    assert cycles(package_graph(root)) == [["a", "b", "a"]]
    assert layout_spellings(root) == ["tasks/a/pure.py names _LATEST", "tasks/a/pure.py:2 formats a path under a run",
                                      "tasks/a/stage.py:4 joins a path onto a run"]  # fmt: skip
    assert untested_modules(root) == ["tasks/a/pure.py -> tests/tasks/a/test_pure.py",
                                      "tasks/a/stage.py -> tests/tasks/a/test_stage.py"]  # fmt: skip
