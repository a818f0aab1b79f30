"""Issue 13, acceptance: no import circle between the production modules, and no upward import.

The production packages are those the wheel ships (pyproject's packages find include). Every import
counts, at module level or inside a function: a function-level import hides a circle, it does not break
it.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Layers, bottom up: a module may import its own app and those below it, never the ones above.
BELOW_THE_DOMAIN = {"core", "outbox", "webhooks"}
DOMAIN = {"stores", "orders", "shipments", "tracking", "hooks"}
ABOVE = {"api", "portal"}
FORBIDDEN = {
    **{app: ABOVE | DOMAIN - {"stores"} for app in BELOW_THE_DOMAIN},  # the outbox keeps its tenant (stores)
    **{app: ABOVE for app in DOMAIN},
}

# Circles left for another change to break, each naming its issue. A circle passes only if all its
# modules are inside one of these.
KNOWN_CYCLES = []


def production_modules() -> dict[str, tuple[Path, bool]]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = {pattern.rstrip("*").rstrip(".") for pattern in include}
    modules = {}
    for top in sorted(tops):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts:
                continue
            is_package = parts[-1] == "__init__"
            modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def import_graph(modules: dict[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    """module -> the production modules it imports (anywhere in its body)."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in modules.items():
        package = module if is_package else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # `from pkg import submodule` imports the submodule; `from pkg import name`, the package.
                names = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names
                ]
            else:
                continue
            found.update(target for target in map(known, names) if target and target != module)
        graph[module] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_walk_sees_the_imports_that_matter():
    """The walker itself: function-level and relative imports are edges, the layers exist."""
    modules = production_modules()
    graph = import_graph(modules)
    assert {"core.bulk", "outbox.services", "webhooks.services", "api.payloads"} <= set(modules)
    assert "webhooks.services" in graph["shipments.services"]  # module level
    assert "webhooks.services" in graph["orders.importing.attention"]  # inside functions only
    assert "outbox.services" in graph["shipments.apps"]  # inside ready()
    assert "stores.connector.builtin" in graph["stores.apps"]  # relative, inside a function
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_module_imports_upward():
    graph = import_graph(production_modules())
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        if target.split(".")[0] in FORBIDDEN.get(module.split(".")[0], set())
    )
    assert upward == []


def test_no_import_circle_between_modules():
    unknown = [
        sorted(component)
        for component in cycles(import_graph(production_modules()))
        if not any(component <= known for known in KNOWN_CYCLES)
    ]
    assert unknown == []
