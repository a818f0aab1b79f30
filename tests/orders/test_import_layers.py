"""The import engine's layers (issue 13): orders.tasks → orders.services → orders.importing (run → page →
emit → snapshot → mapping), never upwards. Imports inside functions count (ast.walk reads every one)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# module → the orders modules it must not import, not even inside a function
BELOW = {
    "orders/services.py": {"orders.tasks"},
    "orders/importing/run.py": {"orders.tasks", "orders.services"},
    "orders/importing/page.py": {"orders.tasks", "orders.services", "orders.importing.run"},
    "orders/importing/emit.py": {"orders.tasks", "orders.services", "orders.importing.run", "orders.importing.page"},
    "orders/importing/snapshot.py": {
        "orders.tasks",
        "orders.services",
        "orders.importing.run",
        "orders.importing.page",
    },
    "orders/importing/mapping.py": {
        "orders.tasks",
        "orders.services",
        "orders.importing.run",
        "orders.importing.page",
        "orders.importing.snapshot",
    },
}


def imported_modules(path: str) -> set[str]:
    package = path.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", sorted(BELOW))
def test_no_layer_of_the_import_engine_imports_one_above_it(path):
    assert imported_modules(path) & BELOW[path] == set()


def test_the_check_resolves_relative_imports():
    assert "orders.importing.run" in imported_modules("orders/services.py")
    assert "orders.services" in imported_modules("orders/tasks.py")
    assert "orders.importing.mapping" in imported_modules("orders/importing/page.py")


def test_the_old_single_module_is_gone_and_no_engine_module_is_over_500_lines():
    assert not (ROOT / "orders/importer.py").exists()
    for path in sorted((ROOT / "orders/importing").glob("*.py")):
        assert len(path.read_text().splitlines()) <= 500, path.name


def test_import_page_is_at_most_80_lines():
    tree = ast.parse((ROOT / "orders/importing/page.py").read_text())
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "import_page")
    assert function.end_lineno - function.lineno + 1 <= 80
