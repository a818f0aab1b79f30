"""The README's layers, checked: no module imports a layer above its own, and no import circle between modules.

The layers are read from the README's own sentence ("The layers, bottom up: `core`; `stores`; …"): the test
checks what the README says, every boundary of it, and a package missing from the list fails. The production
packages are those the wheel ships (pyproject's packages find include). Every dependency counts:

* an import at module level or inside a function (a function-level import hides a dependency, it does not
  break it);
* a string that names a production module by its dotted path (a django-q2 task queued by name,
  "hooks.tasks.hooks_subscribe_task", a dotted setting), or a model by its lazy reference ("orders.Order"):
  naming a task of a layer above is calling up, only later. A bare app label ("orders.order", a key of
  webhooks' payload registry, which the API fills) names no module.

The project package (the one the settings module lives in: settings, URLs, WSGI) assembles the layers and is in
none: what a module reaches through it counts as reached by that module (a layer may use a helper of the
project's, never reach a layer above through it).
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# manage.py's settings module: its package is the project.
PROJECT = re.search(r'"DJANGO_SETTINGS_MODULE", "(\w+)\.', (ROOT / "manage.py").read_text())[1]
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
MODEL_REFERENCE = re.compile(r"[a-z_]\w*\.[A-Z]\w*")  # "orders.Order": Django's lazy reference to a model


def readme_layers(text: str | None = None) -> list[set[str]]:
    """The README's layers, bottom up: each a set of top-level packages."""
    text = (ROOT / "README.md").read_text() if text is None else text
    found = re.search(r"The layers, bottom up: (.*?)\.(\s|$)", text, re.S)
    assert found, "The README no longer says 'The layers, bottom up: `core`; `stores`; …' (tests/test_layering.py)"
    return [set(re.findall(r"`(\w+)`", group)) for group in found[1].split(";")]


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


def module_dependencies(module: str, source: str, is_package: bool, modules, *, strings: bool = True) -> set[str]:
    """The production modules `module` (its `source`) depends on: its imports, anywhere in its body, and
    (`strings`) the dotted names of production modules it holds as strings."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    package = module if is_package else module.rpartition(".")[0]
    tops = {name.split(".")[0] for name in modules}
    names: list[str] = []
    named: list[str] = []  # strings: a module (or a name in one) below the package, or a model
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source_name = ".".join(base + ([node.module] if node.module else []))
            else:
                source_name = node.module or ""
            # `from pkg import submodule` imports the submodule; `from pkg import name`, the package.
            names += [
                f"{source_name}.{alias.name}" if f"{source_name}.{alias.name}" in modules else source_name
                for alias in node.names
            ]
        elif strings and isinstance(node, ast.Constant) and isinstance(node.value, str):
            if DOTTED.fullmatch(node.value) and node.value.split(".")[0] in tops:
                named.append(node.value)
    found = set(map(known, names))
    for name in named:
        target = known(name)
        if "." in target or MODEL_REFERENCE.fullmatch(name):
            found.add(target)
    return {target for target in found if target and target != module}


def import_graph(modules: dict[str, tuple[Path, bool]], *, strings: bool = False) -> dict[str, set[str]]:
    """module -> the production modules it imports (anywhere in its body); with `strings`, also those it
    names by their dotted path."""
    return {
        module: module_dependencies(module, path.read_text(), is_package, modules, strings=strings)
        for module, (path, is_package) in modules.items()
    }


def upward_dependencies(graph: dict[str, set[str]], layers: list[set[str]], project: str = PROJECT) -> list[str]:
    """Every dependency of a module on a layer above its own, said in words; a package in no layer (other
    than the project) is one too. Through the project's modules, what they reach counts for the module that
    uses them."""
    layer_of = {package: level for level, packages in enumerate(layers) for package in packages}
    found = []
    for module in sorted(graph):
        top = module.split(".")[0]
        if top == project:
            continue
        if top not in layer_of:
            found.append(f"{module}: its package {top} is in none of the README's layers")
            continue
        seen, path_to = set(), {target: [target] for target in graph[module]}
        work = sorted(graph[module])
        while work:
            target = work.pop()
            if target in seen:
                continue
            seen.add(target)
            target_top = target.split(".")[0]
            if target_top == project:  # see through the project's modules
                for further in sorted(graph.get(target, ())):
                    path_to.setdefault(further, [*path_to[target], further])
                    work.append(further)
            elif layer_of.get(target_top, -1) > layer_of[top]:
                found.append(f"{module} -> {' -> '.join(path_to[target])}")
    return found


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


PLATFORMS = "stores.platforms"  # one package per platform; nothing outside it names it (docs/stores.md#connectors)


def platform_namers(graph: dict[str, set[str]]) -> list[str]:
    """Every dependency on a platform's package (an import, or its dotted path in a string) from a module
    outside that package, said in words. The platforms' loader (stores.platforms itself) names none."""
    found = []
    for module in sorted(graph):
        own = module.split(".")[:3] if module.startswith(PLATFORMS + ".") else None
        for target in sorted(graph[module]):
            if target.startswith(PLATFORMS + ".") and target.split(".")[:3] != own:
                found.append(f"{module} -> {target}")
    return found


def test_nothing_outside_a_platforms_package_names_it():
    """The README's "nothing else names a platform": hooks, the portal, the connector and the store's model
    ask the connector registry what a platform can do, never import its package."""
    modules = production_modules()
    assert "stores.platforms.americommerce.connection" in modules  # a platform has a package
    assert platform_namers(import_graph(modules, strings=True)) == []
    # The checker itself: an import, or a dotted string, from outside a platform's package is refused;
    # inside it, its own modules use each other freely.
    graph = {
        "hooks.services": {"stores.platforms.americommerce.rest.hooks", "stores.models"},
        "stores.apps": {"stores.platforms"},
        "stores.platforms.americommerce.connection": {"stores.platforms.americommerce.oauth"},
        "stores.platforms.acme.connection": {"stores.platforms.americommerce.rest.http"},
    }
    assert platform_namers(graph) == [
        "hooks.services -> stores.platforms.americommerce.rest.hooks",
        "stores.platforms.acme.connection -> stores.platforms.americommerce.rest.http",
    ]
    source = 'TASK = "stores.platforms.americommerce.oauth.refresh_tokens"\n'
    assert module_dependencies("portal.views.x", source, False, modules) == {"stores.platforms.americommerce.oauth"}


def test_the_readme_layers_are_read_as_written():
    assert readme_layers() == [
        {"core", "audit"},
        {"stores"},
        {"outbox", "webhooks", "carriers"},
        {"orders", "shipments", "tracking", "labels", "packing", "hooks"},
        {"api", "portal", "ops"},
    ]
    assert readme_layers("The layers, bottom up: `a`; `b`, `c`;\n`d`. A module imports…") == [{"a"}, {"b", "c"}, {"d"}]
    assert PROJECT == "config"


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


def test_a_task_named_by_its_dotted_path_is_a_dependency():
    modules = production_modules()
    source = 'def later():\n    async_task("hooks.tasks.hooks_fetch_task", 1)\n    """Not hooks.tasks: prose."""\n'
    assert module_dependencies("stores.example", source, False, modules) == {"hooks.tasks"}
    assert module_dependencies("stores.example", source, False, modules, strings=False) == set()
    lazy = 'order = ForeignKey("orders.Order")\nkey = "shipments.shipment"\nlog = "stores.x is not a module of ours"'
    assert module_dependencies("outbox.example", lazy, False, modules) == {"orders"}


def test_the_check_fails_on_stores_calling_orders():
    """The checker itself: stores -> orders (one layer up) is refused, at once or through the project."""
    layers = readme_layers()
    graph = import_graph(production_modules(), strings=True)
    assert upward_dependencies(graph, layers) == []
    up = {**graph, "stores.services": graph["stores.services"] | {"orders.services"}}
    assert upward_dependencies(up, layers) == ["stores.services -> orders.services"]
    # outbox and webhooks share a layer; shipments and hooks too; core is below all.
    sideways = {"webhooks.services": {"outbox.services", "core.bulk"}, "shipments.services": {"hooks.services"}}
    assert upward_dependencies(sideways, layers) == []
    assert upward_dependencies({"webhooks.services": {"orders.models"}}, layers) == [
        "webhooks.services -> orders.models"
    ]
    through_the_project = {"stores.views": {"config.urls"}, "config.urls": {"portal.urls"}, "portal.urls": set()}
    assert upward_dependencies(through_the_project, layers) == ["stores.views -> config.urls -> portal.urls"]
    assert upward_dependencies({"portal.views": {"config.client_ip"}, "config.client_ip": set()}, layers) == []
    assert upward_dependencies({"parcels.print": set()}, layers) == [
        "parcels.print: its package parcels is in none of the README's layers"
    ]


def test_no_module_depends_on_a_layer_above():
    assert upward_dependencies(import_graph(production_modules(), strings=True), readme_layers()) == []


def test_no_import_circle_between_modules():
    assert [sorted(component) for component in cycles(import_graph(production_modules()))] == []
