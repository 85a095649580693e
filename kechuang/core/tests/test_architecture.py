"""The house shows its architecture: every module's imports (read with ``ast``, including imports inside
functions) form no cycle between apps, and the foundation — ``core`` and ``accounts`` — imports no app
built on it.

A package directly under ``kechuang/`` is an app (``kechuang.core``, ``kechuang.search``, …); the project's
own modules (``kechuang/urls.py``, ``settings.py``, ``wsgi.py``, …) assemble the apps and may import any
of them. Tests are left out: they exercise the assembled site (a workbench test makes demands and
challenges). Relations by name that are not imports — a foreign key ``"directory.Organization"``, a
dotted path in the clock's job list, ``apps.get_model`` — are not counted; the README's Layout section
lists those that cross the layers.
"""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]  # kechuang/
# What core and accounts may import: below them only the plain-Python engine and the date formats.
FOUNDATION = {"core": {"matching", "formats"}, "accounts": {"core", "matching", "formats"}}


def apps() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}


def modules(app: str):
    for path in sorted((PACKAGE / app).rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if "tests" in parts or path.name == "conftest.py":
            continue
        yield path


def imported_apps(path: Path, known: set[str]) -> dict[str, int]:
    """The apps ``path`` imports (absolute ``kechuang.X`` imports and relative ones), each with the line
    of its first import."""
    own = path.relative_to(PACKAGE).parts
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = ["kechuang", *own[: len(own) - node.level]]
                names = [".".join([*base, *(node.module or "").split(".")]).rstrip(".")]
            elif node.module:
                names = [node.module]
        for name in names:
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "kechuang" and parts[1] in known:
                found.setdefault(parts[1], node.lineno)
    return found


def app_graph() -> dict[str, dict[str, str]]:
    """app → {imported app: "path:line" of one import that makes the edge}."""
    known = apps()
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for app in sorted(known):
        graph[app]
        for path in modules(app):
            for other, line in imported_apps(path, known).items():
                if other != app:
                    graph[app].setdefault(other, f"{path.relative_to(PACKAGE.parent)}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Every strongly connected group of more than one app (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_apps_import_each_other_without_a_cycle():
    graph = app_graph()
    found = cycles(graph)
    where = [
        f"{a} → {b} ({graph[a][b]})"
        for group in found
        for a in group
        for b in group
        if b in graph[a]
    ]
    assert not found, "import cycles between apps:\n" + "\n".join(where)


def test_core_and_accounts_import_no_app_built_on_them():
    graph = app_graph()
    wrong = [
        f"{app} → {other} ({where})"
        for app, allowed in FOUNDATION.items()
        for other, where in graph[app].items()
        if other not in allowed
    ]
    assert not wrong, "the foundation imports an app built on it:\n" + "\n".join(wrong)


def test_the_check_sees_imports_inside_functions_and_relative_imports(tmp_path, monkeypatch):
    """The checks would fail on the layouts they forbid (a tiny package with a cycle through a lazy import
    and a relative one)."""
    package = tmp_path / "kechuang"
    for app, source in {
        "core": "def f():\n    from kechuang.directory import models\n",
        "directory": "from ..core import models\n",
        "matching": "import json\n",
    }.items():
        (package / app).mkdir(parents=True)
        (package / app / "__init__.py").write_text("")
        (package / app / "models.py").write_text(source)
    (package / "core" / "tests").mkdir()
    (package / "core" / "tests" / "test_x.py").write_text("import kechuang.matching\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", package)
    graph = app_graph()
    assert graph == {
        "core": {"directory": "kechuang/core/models.py:2"},
        "directory": {"core": "kechuang/directory/models.py:1"},
        "matching": {},
    }
    assert cycles(graph) == [["core", "directory"]]
