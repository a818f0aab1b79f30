"""No code path writes Order.status except through the status machine (orders.models.status_transition).

The check reads the source of every app (AST, not a grep of text): it finds each place that can write
an order's status and fails unless the place is one of the two that take their status from the status
machine, and unless those two still call it.

    * `<anything>.update(status=…)`, `Order(status=…)`, `Order.objects.create(status=…)` and friends
    * `<obj>.status = …` (then saved), `setattr(obj, "status", …)`
    * a bulk row for the order table (a dict with "external_id" and "status" keys)
    * `bulk_update(…, ["status", …])` and raw SQL that sets the status column
"""

import ast
from pathlib import Path

import pytest

from tests.test_layering import production_modules

ROOT = Path(__file__).resolve().parents[2]
# The only places allowed to write Order.status: (file, function) → the status-machine call inside it.
ALLOWED = {
    ("orders/services.py", "order_set_status"): "status_transition",  # attribute assignment + save
    ("orders/importing/page.py", "_order_rows"): "_resolve_status",  # the status column of the page's bulk rows
}
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}


def _sources():
    """Every production module (the packages pyproject.toml ships, as the layering test reads them)."""
    for path, _is_package in sorted(production_modules().values()):
        yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_the_guard_reads_every_production_package():
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = {pattern.rstrip("*").rstrip(".") for pattern in include["include"]}
    assert {path.split("/")[0] for path, _ in _sources()} == shipped


def _root_name(node):
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node.id if isinstance(node, ast.Name) else None


def status_writes(source: str):
    """[(line, function, what)] of every place in `source` that can write an order's status."""
    tree = ast.parse(source)
    found = []

    def visit(node, function):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            kwargs = {k.arg for k in node.keywords}
            if "status" in kwargs and (
                name == "update" or (name in WRITING_CALLS | {"Order"} and _root_name(func) == "Order")
            ):
                found.append((node.lineno, function, f"{name}(status=…)"))
            if (
                name == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "status"
            ):
                found.append((node.lineno, function, "setattr(…, 'status', …)"))
            if name == "bulk_update" and any(
                isinstance(c, ast.Constant) and c.value == "status" for arg in node.args[1:] for c in ast.walk(arg)
            ):
                found.append((node.lineno, function, "bulk_update([… 'status' …])"))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for t in ast.walk(target):
                    if isinstance(t, ast.Attribute) and t.attr == "status" and _root_name(t) != "self":
                        found.append((node.lineno, function, "obj.status = …"))
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if {"status", "external_id"} <= keys:
                found.append((node.lineno, function, "bulk row with a status column"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lower()
            if "orders_order" in text and "set" in text and "status" in text:
                found.append((node.lineno, function, "raw SQL setting the status"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_every_status_write_goes_through_the_status_machine():
    offenders = []
    for path, source in _sources():
        for line, function, what in status_writes(source):
            if (path, function) not in ALLOWED:
                offenders.append(f"{path}:{line} in {function}(): {what}")
    assert not offenders, "Order.status written outside the status machine:\n" + "\n".join(offenders)


def _function(path, name):
    tree = ast.parse((ROOT / path).read_text())
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


def _calls(function) -> set[str]:
    return {
        (n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", ""))
        for n in ast.walk(function)
        if isinstance(n, ast.Call)
    }


@pytest.mark.parametrize("site", sorted(ALLOWED))
def test_the_allowed_writers_take_their_status_from_the_machine(site):
    path, name = site
    assert status_writes((ROOT / path).read_text()), f"{path} no longer writes a status: drop it from ALLOWED"
    assert ALLOWED[site] in _calls(_function(path, name))
    assert "status_transition" in _calls(_function("orders/importing/page.py", "_resolve_status"))


@pytest.mark.parametrize(
    "snippet",
    [
        "def f(qs):\n    qs.filter(pk=1).update(status='shipped')\n",
        "def f(order):\n    order.status = 'shipped'\n    order.save()\n",
        "def f(order):\n    setattr(order, 'status', 'shipped')\n",
        "def f(o):\n    Order.objects.create(number='1', status='shipped')\n",
        "def f(rows):\n    rows.append({'external_id': '1', 'status': 'shipped'})\n",
        "def f(objs):\n    Order.objects.bulk_update(objs, ['status'])\n",
        "def f(c):\n    c.execute('UPDATE orders_order SET status = %s', ['shipped'])\n",
    ],
)
def test_the_check_catches_each_kind_of_write(snippet):
    assert status_writes(snippet)


def test_the_admin_and_the_api_cannot_edit_a_status():
    from django.contrib.admin.sites import site

    from api.serializers import OrderDetailSerializer, OrderListSerializer
    from orders.models import Order

    assert "status" in site._registry[Order].get_readonly_fields(request=None)
    for serializer in (OrderListSerializer, OrderDetailSerializer):
        assert "status" in serializer.Meta.read_only_fields
