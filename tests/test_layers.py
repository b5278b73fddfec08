"""The sub-packages import in one layer order, and no modules import each other in a cycle.

Imports inside functions count too: a deferred import hides a cycle from Python, not from a
reader. Imports under `if TYPE_CHECKING:` are for the type checker only and do not count.
A layer may import itself and the layers before it, never one after it; the development tools
sit just below the CLI (only `targman bench` / `model tiny` reach them).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "pipeline"

LAYERS = [
    # leaves: the data type, errors, file writing, the run folder's file names
    {"errors", "atomic", "jsonl", "invisible", "safexml", "segment", "cachedir", "listen", "layout", "suggest"},
    {"config"},
    {"models"},
    {"glossary"},
    {"documents"},
    {"runfolder"},  # the run folder's rows, manifest, edits and review log
    {"names"},
    {"engines"},
    {"translation"},
    {"evaluation"},
    {"batch"},
    {"review"},
    {"serve"},
    {"devtools"},
    {"cli"},
    {"__main__", "__init__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every `pipeline` module imported anywhere in the file but under TYPE_CHECKING;
    `from pipeline.x import y` names the module `pipeline.x.y` when y is one."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("pipeline"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_has_a_layer():
    assert sorted({layer_of(m) for m in MODULES} - set(RANK)) == []


def test_no_module_imports_a_later_layer():
    offenders = []
    for module, path in sorted(MODULES.items()):
        for line, imported in imports_of(path):
            if imported == "pipeline":  # `from pipeline import __version__`: the version, a leaf value
                continue
            if RANK[layer_of(imported)] > RANK[layer_of(module)]:
                offenders.append(f"{path.relative_to(REPO)}:{line}: {layer_of(module)} imports {imported}")
    assert offenders == []


def test_no_import_cycles_between_modules():
    graph = {m: {i for _, i in imports_of(p) if i in MODULES and i != m and i != "pipeline"} for m, p in MODULES.items()}
    # A package's __init__ re-exporting its modules is not a cycle with them.
    for module in graph:
        graph[module] = {i for i in graph[module] if not module.startswith(i + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    assert not cycles, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in cycles)
