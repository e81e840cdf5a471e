"""The import graph of app/: no module imports (directly or through others) a module that imports it.

The graph is read from each module's source (its AST), so it holds every import a run could execute:
module-level and function-level ones alike. Imports under ``if TYPE_CHECKING:`` are left out: they are
never executed (annotations only), which is exactly how a module names a type of a module that imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"



def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(APP.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _executed_nodes(tree: ast.AST):
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of app/ that module ``name`` imports anywhere in its executed code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _executed_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package, one level up per extra dot
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # "from app import protocol" imports the module app.protocol, not a name of app/__init__ (a
            # package's __init__ runs before any of its modules anyway: that is no edge of the graph)
            submodules = {f"{source}.{alias.name}" for alias in node.names} & set(modules)
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(source)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    modules = app_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the path ``[a, b, ..., a]``, or None."""
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack = [(root, iter(sorted(graph[root])))]
        path.append(root)
        on_path.add(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return [*path[path.index(child):], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)
    return None


def test_the_graph_reader_sees_function_level_relative_and_submodule_imports(tmp_path):
    source = ("from app import protocol as p\n"
              "def f():\n    from app.hub import Hub\n"
              "from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from app.server import create_app\n"
              "from . import rooms\n"
              "from app.engine import Network\n")
    path = tmp_path / "probe.py"
    path.write_text(source)
    modules = {name: APP for name in ("app", "app.protocol", "app.hub", "app.server", "app.rooms",
                                      "app.engine")}
    # the package app itself is no edge (only its modules were named); app.engine is (a name from it)
    assert imports_of("app.probe", path, modules) == {"app.protocol", "app.hub", "app.rooms", "app.engine"}


def test_find_cycle_names_the_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a2"}, "a2": {"b"}, "b": {"a2"}}) == ["a2", "b", "a2"]


def test_app_has_no_import_cycle():
    graph = import_graph()
    assert {"app.hub", "app.rooms", "app.connection", "app.engine.network"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in app/: " + " -> ".join(cycle or [])
