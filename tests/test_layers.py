"""The top-level packages of rasd import each other without a cycle.

Every import is followed, those inside functions included; only imports under
`if TYPE_CHECKING:` are left out, as they never run. A cycle between two top-level packages
(`rasd.detect` and `rasd.correlate`, say, or `rasd.api` and `rasd.runtime`) fails the test.
The imports that still close a cycle today are listed in `STILL_BACKWARDS`; each is taken
off the list once it is gone (the second test says when), so the list only shrinks.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import rasd

ROOT = Path(rasd.__file__).parent

# (importer, imported): imports against the flow that still close a cycle
STILL_BACKWARDS: set[tuple[str, str]] = set()

# what puts a process together and runs it is reached only from above: the CLI from nothing,
# the server from the CLI, the HTTP shell (the app around the API's and the pages' routers)
# from the server, the roles' builders from what starts a process of a role
REACHED_ONLY_FROM: dict[str, set[str]] = {
    "cli": set(),
    "server": {"cli"},
    "shell": {"server"},
    "assembly": {"cli", "cluster", "eval", "server"},
}

# packages side by side, that never import each other (not even inside a function): the
# API's routers and the pages' routers, which the HTTP shell puts together above both; what
# both need lies below them (rasd.http, rasd.reading, rasd.locale)
SIBLINGS: tuple[frozenset[str], ...] = (frozenset({"api", "web"}),)


def _top(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "rasd" or len(parts) < 2:
        return None
    return parts[1]


def _package_of(path: Path) -> list[str]:
    parts = ["rasd", *path.relative_to(ROOT).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


class _Imports(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.found: list[tuple[str, int]] = []

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.extend((alias.name, node.lineno) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = _package_of(self.path)
            if self.path.name != "__init__.py":
                base = base[:-1]
            base = base[: len(base) - node.level + 1]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        self.found.append((module, node.lineno))
        for alias in node.names:  # `from rasd import clock` imports the module rasd.clock
            candidate = ROOT.joinpath(*module.split(".")[1:], alias.name)
            if module.split(".")[0] == "rasd" and (
                candidate.is_dir() or candidate.with_suffix(".py").exists()
            ):
                self.found.append((f"{module}.{alias.name}", node.lineno))


def package_imports() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) between top-level packages, with where each import is."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        seen = _Imports(path)
        seen.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        importer = _top(".".join(_package_of(path)))
        for module, line in seen.found:
            imported = _top(module)
            if importer and imported and imported != importer:
                where = f"{path.relative_to(ROOT.parent)}:{line} imports {module}"
                edges[(importer, imported)].append(where)
    return edges


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan's algorithm)."""
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in sorted(edges):
        graph[a].append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_one() -> None:
    assert cycles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]
    assert cycles({("a", "b"), ("b", "c"), ("a", "c")}) == []


def test_imports_are_followed_inside_functions_and_not_under_type_checking() -> None:
    path = ROOT / "detect" / "example.py"
    seen = _Imports(path)
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import bank\n"
        "from ..store import base\n"
        "if TYPE_CHECKING:\n"
        "    from rasd.api import app\n"
        "def f():\n"
        "    import rasd.correlate.event\n"
    )
    seen.visit(ast.parse(source))
    modules = {m for m, _ in seen.found}
    assert "rasd.detect.bank" in modules
    assert "rasd.store.base" in modules
    assert "rasd.correlate.event" in modules
    assert "rasd.api" not in modules and "rasd.api.app" not in modules


def test_no_cycle_between_top_level_packages() -> None:
    edges = package_imports()
    left = set(edges) - STILL_BACKWARDS
    found = cycles(left)
    shown = []
    for group in found:
        for a, b in sorted(left):
            if a in group and b in group:
                shown.append(f"{a} -> {b}: {edges[(a, b)][0]}")
    assert not found, "cycles between packages:\n" + "\n".join(shown)


def test_every_backward_import_listed_is_still_there() -> None:
    gone = {pair for pair in STILL_BACKWARDS if pair not in package_imports()}
    assert not gone, f"no longer imported, take off STILL_BACKWARDS: {sorted(gone)}"


def test_the_cli_the_server_the_shell_and_the_assembly_are_reached_only_from_above() -> None:
    edges = package_imports()
    wrong = [
        f"{a} -> {b}: {where[0]}"
        for (a, b), where in sorted(edges.items())
        if b in REACHED_ONLY_FROM and a not in REACHED_ONLY_FROM[b]
    ]
    assert not wrong, "reached from below:\n" + "\n".join(wrong)


def test_siblings_import_nothing_of_each_other() -> None:
    edges = package_imports()
    wrong = [
        f"{a} -> {b}: {where}"
        for (a, b), found in sorted(edges.items())
        for group in SIBLINGS
        if a in group and b in group
        for where in found
    ]
    assert not wrong, "siblings importing each other:\n" + "\n".join(wrong)


def test_the_process_object_imports_nothing_of_rasd_when_it_runs() -> None:
    # runtime.py names the parts (under TYPE_CHECKING) and holds them; it builds none
    assert not [pair for pair in package_imports() if pair[0] == "runtime"]


# the terminal's libraries belong to the commands: a tool or the product that imports them
# cannot be driven from a test, a server or another front end without a terminal's habits
_TERMINAL = ("typer", "rich")


def terminal_imports() -> dict[str, list[str]]:
    """Modules outside rasd.cli importing typer or rich, with where."""
    return _importers_of(_TERMINAL, outside="rasd.cli")


def test_only_the_commands_import_the_terminal_libraries() -> None:
    found = terminal_imports()
    assert not found, "typer or rich outside rasd.cli:\n" + "\n".join(
        w for where in found.values() for w in where
    )


def _importers_of(roots: tuple[str, ...], *, outside: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        module = ".".join(_package_of(path))
        if module == outside or module.startswith(outside + "."):
            continue
        seen = _Imports(path)
        seen.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for imported, line in seen.found:
            if imported.split(".")[0] in roots:
                found[module].append(f"{path.relative_to(ROOT.parent)}:{line} imports {imported}")
    return found


def test_only_the_store_speaks_sql() -> None:
    # the tables are the store's: a module elsewhere that writes SQL ties its idea to one
    # schema and escapes the store's shared tests on SQLite and PostgreSQL
    found = _importers_of(("sqlalchemy",), outside="rasd.store")
    assert not found, "SQL outside rasd.store:\n" + "\n".join(
        w for where in found.values() for w in where
    )


# the packages that decide what happened: they hand out codes and numbers (rasd.phrase), and
# the words are the catalogs' (rasd.locale), said where something is shown
DOMAIN = ("detect", "incidents", "correlate", "pipeline", "counting")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


def _domain_files() -> list[Path]:
    return [path for package in DOMAIN for path in sorted((ROOT / package).rglob("*.py"))]


def test_the_domain_writes_no_arabic() -> None:
    found = [
        f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}"
        for path in _domain_files()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _ARABIC.search(line)
    ]
    assert _domain_files() and not found, "Arabic in the domain:\n" + "\n".join(found)


def test_the_domain_says_nothing_in_words() -> None:
    found = []
    for path in _domain_files():
        seen = _Imports(path)
        seen.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += [
            f"{path.relative_to(ROOT.parent)}:{line} imports {module}"
            for module, line in seen.found
            if module == "rasd.locale" or module.startswith("rasd.locale.")
        ]
    assert not found, "the domain imports the catalogs' words:\n" + "\n".join(found)


def test_the_arabic_check_sees_arabic() -> None:
    assert _ARABIC.search("ميتا: فيسبوك") and not _ARABIC.search("Meta: Facebook")
