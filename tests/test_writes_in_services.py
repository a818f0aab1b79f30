"""Issue 28 part 6: the rows people rely on are written only in services, across every production package.

`Store` (and its secret documents, `StoreSecret`), `StoreSettings`, `StatusMapping`, `Shipment` and an order's
`status` are written only in services modules (a module named `services`, and the service pipelines those
modules run: the import, `orders.importing`, the real-time follow-up of a store write, `hooks.realtime`, and
the store's own save of its secret documents, `stores.credentials`), and in migrations.
No exception list: a write anywhere else fails this test, and the fix is to move it into a service (a view, a
form, an admin class, a task calls the service).

A write is, found by walking every module's syntax tree (as tests/test_layering.py walks imports):

* `save()` (not `save(commit=False)`) or `delete()` on an instance of the model;
* `create()`, `update()`, `delete()`, `get_or_create()`, `update_or_create()`, `bulk_create()`, `bulk_update()`
  on its manager or a queryset of it (a related manager too: `store.orders.update(...)`);
* for an order: `order.status = …`, `setattr(order, "status", …)`, `update(status=…)`, `bulk_update(…,
  ["status", …])`, `save(update_fields=[…"status"…])`;
* `core.bulk.Rows(Model, …)` / `core.bulk.upsert(Model, …)` of one of the models (the import's bulk path);
* `save()` of a ModelForm or a ModelSerializer whose Meta.model is one of them;
* a ModelAdmin of one of them that keeps the admin's own saving (it must save, delete, and save its inlines
  through services, or not allow the change).

What an expression is, is found as a reader would: a model class by its import, an instance by `Model(...)`,
`Model.objects…get()/first()/create()`, `get_object_or_404(Model, …)`, a parameter's annotation, a loop over
a queryset, a relation followed from a known instance (`shipment.order.store`, through the models' `_meta`).
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass

from django.db import models

from tests.test_layering import production_modules

# The rows written only in services (app_label.ModelName), and the fields of other rows.
PROTECTED = {
    "stores.Store",
    "stores.StoreSecret",
    "stores.StoreSettings",
    "stores.StatusMapping",
    "shipments.Shipment",
    # Issue 29: the carriers layer's rows.
    "carriers.CarrierAccount",
    "carriers.ShipFrom",
    "carriers.StoreShipping",
    "carriers.PackagePreset",
    # Issue 29: labels bought (money).
    "labels.LabelPurchase",
    "labels.LabelDocument",
    # Issue 33: end-of-day manifests.
    "labels.Manifest",
}
PROTECTED_FIELDS = {("orders.Order", "status")}
# The service pipelines services run (their modules write as the service's own code).
SERVICE_PACKAGES = ("orders.importing", "hooks.realtime", "stores.credentials")


def is_service_module(module: str) -> bool:
    parts = module.split(".")
    return "services" in parts or any(module == p or module.startswith(p + ".") for p in SERVICE_PACKAGES)


MANAGERS = {"objects", "_default_manager", "_base_manager"}
QUERYSET_CHAINS = {
    "all",
    "filter",
    "exclude",
    "select_related",
    "prefetch_related",
    "order_by",
    "select_for_update",
    "only",
    "defer",
    "annotate",
    "alias",
    "distinct",
    "using",
    "for_tenant",
    "none",
    "reverse",
}
INSTANCE_GETTERS = {"get", "first", "last", "earliest", "latest", "create"}
PAIR_GETTERS = {"get_or_create", "update_or_create"}
QUERYSET_WRITES = {"create", "update", "delete", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
INSTANCE_WRITES = {"save", "delete"}


def label(model: type[models.Model]) -> str:
    return model._meta.label


@dataclass(frozen=True)
class Kind:
    what: str  # "class", "instance", "queryset", "form" (a ModelForm/ModelSerializer class), "form_instance"
    model: type


@dataclass
class Write:
    module: str
    line: int
    model: str
    field: str = ""
    how: str = ""

    def __str__(self) -> str:
        target = f"{self.model}.{self.field}" if self.field else self.model
        return f"{self.module}:{self.line} writes {target} ({self.how})"


def _resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        try:
            return importlib.import_module(dotted)
        except ImportError:
            return None


def _is_model(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, models.Model) and hasattr(obj, "_meta") and not obj._meta.abstract


def _form_model(obj):
    """The model a ModelForm, ModelSerializer, ModelAdmin or inline class edits, or None."""
    if not isinstance(obj, type):
        return None
    meta = getattr(obj, "Meta", None)
    model = getattr(meta, "model", None) or getattr(obj, "model", None)
    return model if _is_model(model) else None


def relation(model: type[models.Model], name: str) -> Kind | None:
    """What `instance.name` is on `model`: a related instance, or a related manager (a queryset)."""
    for f in model._meta.get_fields():
        if f.is_relation and f.related_model is not None and isinstance(f.related_model, type):
            accessor = f.name if not f.auto_created or f.concrete else (f.get_accessor_name() or f.name)
            if accessor != name:
                continue
            many = f.one_to_many or f.many_to_many
            return Kind("queryset" if many else "instance", f.related_model)
    return None


class Checker:
    """The writes of one module's source. `module` is its dotted name (relative imports resolve against it)."""

    def __init__(self, source: str, module: str, *, is_package: bool = False):
        self.tree = ast.parse(source)
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.writes: list[Write] = []
        self.names: dict[str, Kind] = {}
        self._imports()
        self._local_classes()

    # --- what names are -----------------------------------------------------------------------------

    def _imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = self.package.split(".")
                    base = parts[: len(parts) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    self._bind(alias.asname or alias.name, _resolve(f"{source}.{alias.name}"))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self._bind(alias.asname, _resolve(alias.name))

    def _bind(self, name: str, obj) -> None:
        if _is_model(obj):
            self.names[name] = Kind("class", obj)
        elif (model := _form_model(obj)) is not None:
            self.names[name] = Kind("form", model)
        elif obj is not None and hasattr(obj, "__name__") and not isinstance(obj, type):
            self.names[name] = Kind("module", obj)  # type: ignore[arg-type]

    def _local_classes(self) -> None:
        """Classes defined here: a model (by its name in the app registry) or a form of a known model."""
        for node in self.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            obj = _resolve(f"{self.module}.{node.name}")
            if _is_model(obj):
                self.names[node.name] = Kind("class", obj)
            elif (model := _form_model(obj)) is not None:
                self.names[node.name] = Kind("form", model)

    def kind(self, node: ast.AST, env: dict[str, Kind]) -> Kind | None:
        if isinstance(node, ast.BoolOp | ast.IfExp):  # `… .first() or Model(...)`, `a if c else b`
            options = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
            return next((found for option in options if (found := self.kind(option, env)) is not None), None)
        if isinstance(node, ast.Name):
            return env.get(node.id) or self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.kind(node.value, env)
            if base is None:
                return None
            if base.what == "module":
                obj = getattr(base.model, node.attr, None)
                if _is_model(obj):
                    return Kind("class", obj)
                model = _form_model(obj)
                return Kind("form", model) if model is not None else None
            if base.what == "class" and node.attr in MANAGERS:
                return Kind("queryset", base.model)
            if base.what == "instance":
                return relation(base.model, node.attr)
            return None
        if isinstance(node, ast.Subscript):
            base = self.kind(node.value, env)
            if base is not None and base.what == "queryset":
                return base if isinstance(node.slice, ast.Slice) else Kind("instance", base.model)
            return None
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in ("get_object_or_404",) and node.args:
                base = self.kind(node.args[0], env)
                return Kind("instance", base.model) if base is not None else None
            if isinstance(func, ast.Name) and func.id == "copy" and node.args:
                return self.kind(node.args[0], env)
            callee = self.kind(func, env) if not isinstance(func, ast.Attribute) else None
            if callee is not None and callee.what == "class":
                return Kind("instance", callee.model)
            if callee is not None and callee.what == "form":
                return Kind("form_instance", callee.model)
            if isinstance(func, ast.Attribute):
                base = self.kind(func.value, env)
                if base is not None and base.what == "class" and func.attr in MANAGERS:
                    return None
                if base is not None and base.what == "module" and func.attr == "copy" and node.args:
                    return self.kind(node.args[0], env)  # copy.copy(instance)
                callee = self.kind(func, env)
                if callee is not None and callee.what == "class":
                    return Kind("instance", callee.model)
                if callee is not None and callee.what == "form":
                    return Kind("form_instance", callee.model)
                if base is not None and base.what == "queryset":
                    if func.attr in QUERYSET_CHAINS:
                        return base
                    if func.attr in INSTANCE_GETTERS:
                        return Kind("instance", base.model)
                    if func.attr in PAIR_GETTERS:
                        return Kind("pair", base.model)
        return None

    def _annotation(self, node: ast.AST | None) -> Kind | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp):  # Store | None
            return self._annotation(node.left) or self._annotation(node.right)
        found = self.kind(node, {})
        if found is not None and found.what == "class":
            return Kind("instance", found.model)
        return None

    def _scope_env(self, scope: ast.AST, outer: dict[str, Kind]) -> dict[str, Kind]:
        env = dict(outer)
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = scope.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                found = self._annotation(getattr(arg, "annotation", None))
                if found is not None:
                    env[arg.arg] = found
        body = [n for n in ast.walk(scope) if n is not scope]
        for _ in range(3):  # bindings that depend on bindings (a queryset, then a loop over it)
            for node in body:
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    value = node.value
                    if value is None:
                        continue
                    found = self.kind(value, env)
                    if isinstance(node, ast.AnnAssign) and found is None:
                        found = self._annotation(node.annotation)
                    for target in targets:
                        self._assign(target, found, env)
                elif isinstance(node, ast.NamedExpr):
                    self._assign(node.target, self.kind(node.value, env), env)
                elif isinstance(node, ast.For | ast.comprehension):
                    source = self.kind(node.iter, env)
                    if source is not None and source.what == "queryset":
                        self._assign(node.target, Kind("instance", source.model), env)
                elif isinstance(node, ast.With | ast.AsyncWith):
                    for item in node.items:
                        if item.optional_vars is not None:
                            self._assign(item.optional_vars, self.kind(item.context_expr, env), env)
        return env

    @staticmethod
    def _assign(target: ast.AST, found: Kind | None, env: dict[str, Kind]) -> None:
        if found is None:
            return
        if isinstance(target, ast.Name):
            env[target.id] = found if found.what != "pair" else Kind("pair", found.model)
        elif isinstance(target, ast.Tuple | ast.List) and found.what == "pair" and target.elts:
            first = target.elts[0]
            if isinstance(first, ast.Name):
                env[first.id] = Kind("instance", found.model)

    # --- what is a write ----------------------------------------------------------------------------

    def run(self) -> list[Write]:
        self._visit(self.tree, {})
        self._admin_classes()
        return sorted(self.writes, key=lambda w: w.line)

    def _visit(self, scope: ast.AST, outer: dict[str, Kind]) -> None:
        env = self._scope_env(scope, outer)
        nested = []
        for node in self._own_nodes(scope):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and node is not scope:
                nested.append(node)
                continue
            self._check(node, env)
        for node in nested:
            self._visit(node, env)

    @staticmethod
    def _own_nodes(scope: ast.AST):
        """The nodes of a scope, not descending into nested functions (their own scopes, visited apart)."""
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                stack.extend(ast.iter_child_nodes(node))

    def _add(self, node: ast.AST, model: type, how: str, field: str = "") -> None:
        self.writes.append(Write(self.module, getattr(node, "lineno", 0), label(model), field, how))

    def _check(self, node: ast.AST, env: dict[str, Kind]) -> None:
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
                        base = self.kind(sub.value, env)
                        if base is not None and base.what == "instance":
                            self._field_write(sub, base.model, sub.attr, f".{sub.attr} = …")
            return
        if not isinstance(node, ast.Call):
            return
        func = node.func
        if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
            base = self.kind(node.args[0], env)
            name = node.args[1]
            if base is not None and base.what == "instance":
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    self._field_write(node, base.model, name.value, f'setattr(…, "{name.value}", …)')
                else:
                    for model_label, field_name in PROTECTED_FIELDS:
                        if label(base.model) == model_label:
                            self._add(node, base.model, "setattr with a computed name", field_name)
            return
        if self._is_bulk(func) and node.args:
            base = self.kind(node.args[0], env)
            if base is not None and base.what == "class":
                self._model_write(node, base.model, f"core.bulk.{self._name(func)}", fields=None)
            return
        if not isinstance(func, ast.Attribute):
            return
        base = self.kind(func.value, env)
        if base is None:
            return
        commit = self._kw(node, "commit")
        if isinstance(commit, ast.Constant) and commit.value is False:
            return  # save(commit=False): an unsaved instance
        if base.what == "instance" and func.attr in INSTANCE_WRITES:
            fields = self._update_fields(node) if func.attr == "save" else None
            self._model_write(node, base.model, f".{func.attr}()", fields=fields, instance=True)
        elif base.what == "queryset" and func.attr in QUERYSET_WRITES:
            fields = None
            if func.attr in ("update", "create", "get_or_create", "update_or_create"):
                fields = {k.arg for k in node.keywords if k.arg}
                for k in node.keywords:
                    if k.arg in ("defaults", "create_defaults") and isinstance(k.value, ast.Dict):
                        fields |= {key.value for key in k.value.keys if isinstance(key, ast.Constant)}
            elif func.attr == "bulk_update":
                fields = self._literal_strings(node.args[1] if len(node.args) > 1 else self._kw(node, "fields"))
            self._model_write(node, base.model, f".{func.attr}()", fields=fields)
        elif base.what == "form_instance" and func.attr == "save":
            self._model_write(node, base.model, "a model form's .save()", fields=None)

    @staticmethod
    def _name(func: ast.AST) -> str:
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")

    def _is_bulk(self, func: ast.AST) -> bool:
        if isinstance(func, ast.Attribute) and func.attr in ("Rows", "upsert"):
            base = self.kind(func.value, {})
            return base is not None and base.what == "module" and getattr(base.model, "__name__", "") == "core.bulk"
        if isinstance(func, ast.Name) and func.id in ("Rows", "upsert"):
            return self.module == "core.bulk" or self._imported_from_bulk(func.id)
        return False

    def _imported_from_bulk(self, name: str) -> bool:
        return any(
            isinstance(n, ast.ImportFrom) and n.module == "core.bulk" and any(a.name == name for a in n.names)
            for n in ast.walk(self.tree)
        )

    @staticmethod
    def _kw(node: ast.Call, name: str):
        return next((k.value for k in node.keywords if k.arg == name), None)

    @staticmethod
    def _literal_strings(node) -> set[str] | None:
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            found = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            return found if len(found) == len(node.elts) else None
        return None

    def _update_fields(self, node: ast.Call) -> set[str] | None:
        value = self._kw(node, "update_fields")
        return self._literal_strings(value) if value is not None else None

    def _model_write(self, node, model, how: str, *, fields: set[str] | None, instance: bool = False) -> None:
        if label(model) in PROTECTED:
            self._add(node, model, how)
        for model_label, field_name in PROTECTED_FIELDS:
            if label(model) != model_label:
                continue
            # An instance saved without update_fields writes what was assigned: the assignment is the write.
            if (fields is None and not instance) or (fields is not None and field_name in fields):
                self._add(node, model, how, field_name)

    def _field_write(self, node, model, name: str, how: str) -> None:
        for model_label, field_name in PROTECTED_FIELDS:
            if label(model) == model_label and name == field_name:
                self._add(node, model, how, field_name)

    # --- the admin's own saving ---------------------------------------------------------------------

    ADMIN_SAVES = ("save_model", "delete_model", "delete_queryset")

    def _admin_classes(self) -> None:
        """An admin of a protected model keeps Django's saving unless it saves through services (its own
        save_model, delete_model, delete_queryset) or allows no change; an inline of one is saved by the
        parent admin's save_formset, which must be its own."""
        from django.contrib import admin

        classes = {n.name: n for n in self.tree.body if isinstance(n, ast.ClassDef)}
        for name, node in classes.items():
            obj = _resolve(f"{self.module}.{name}")
            if not isinstance(obj, type) or not issubclass(obj, admin.options.BaseModelAdmin):
                continue
            model = obj.model if issubclass(obj, admin.options.InlineModelAdmin) else self._registered_model(obj)
            if model is None:
                continue
            if issubclass(obj, admin.ModelAdmin):
                self._admin_checks(node, obj, model)

    @staticmethod
    def _registered_model(admin_class):
        from django.contrib import admin

        for model, model_admin in admin.site._registry.items():
            if type(model_admin) is admin_class:
                return model
        return None

    def _admin_checks(self, node: ast.ClassDef, obj, model) -> None:
        from django.contrib import admin

        def own(method: str) -> bool:
            return any(method in vars(klass) for klass in obj.__mro__ if klass not in admin.ModelAdmin.__mro__)

        def refuses(permission: str) -> bool:
            method = getattr(obj, permission)
            return own(permission) and method(obj(model, admin.site), _Request()) is False

        if label(model) in PROTECTED or any(label(model) == m for m, _f in PROTECTED_FIELDS):
            if not own("save_model") and not (refuses("has_change_permission") and refuses("has_add_permission")):
                self._admin_write(node, model, "the admin's own save_model")
        if label(model) in PROTECTED:
            if not refuses("has_delete_permission") and not (own("delete_model") and own("delete_queryset")):
                self._admin_write(node, model, "the admin's own delete")
        for inline in obj.inlines:
            if label(inline.model) in PROTECTED and not own("save_formset"):
                self._admin_write(node, inline.model, f"the admin's own saving of {inline.__name__}")

    def _admin_write(self, node, model, how: str) -> None:
        if label(model) in PROTECTED:
            self._add(node, model, how)
        else:
            for model_label, field_name in PROTECTED_FIELDS:
                if label(model) == model_label:
                    self._add(node, model, how, field_name)


class _Request:
    """A stand-in request for asking an admin class's permission methods what they refuse to everyone."""

    class user:  # noqa: N801
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(*args, **kwargs):
            return True


def writes_outside_services(source: str, module: str, *, is_package: bool = False) -> list[Write]:
    """The writes of protected rows and fields in `source` (module `module`), unless it is a services module."""
    if is_service_module(module):
        return []
    return Checker(source, module, is_package=is_package).run()


def test_protected_rows_are_written_only_in_services():
    offenders = []
    for module, (path, is_package) in sorted(production_modules().items()):
        offenders += writes_outside_services(path.read_text(), module, is_package=is_package)
    assert [str(w) for w in offenders] == []


# --- the checker itself, on planted writes ----------------------------------------------------------------

PLANTED = """
from django.shortcuts import get_object_or_404
from orders.models import Order
from shipments.models import Shipment
from stores.models import Store, StoreSettings
from stores import models as store_models


def view(request, pk, shipment: Shipment):
    shipment.tracking_number = "1Z"
    shipment.save(update_fields=["tracking_number"])
    store = get_object_or_404(Store, pk=pk)
    store.settings.save()
    for order in store.orders.filter(status="on_hold"):
        order.status = "awaiting_shipment"
    Order.objects.filter(pk=pk).update(status="shipped")
    Order.objects.filter(pk=pk).update(needs_attention=True)
    store_models.StatusMapping.objects.filter(store=store).delete()
    settings, _ = StoreSettings.objects.get_or_create(store=store)
    settings.delete()
    shipment.order.save(update_fields=["notes_to_buyer"])
"""


def test_the_checker_finds_planted_writes_and_passes_the_rest():
    found = [(w.line, w.model, w.field) for w in writes_outside_services(PLANTED, "portal.views.planted")]
    assert found == [
        (11, "shipments.Shipment", ""),
        (13, "stores.StoreSettings", ""),
        (15, "orders.Order", "status"),
        (16, "orders.Order", "status"),
        (18, "stores.StatusMapping", ""),
        (19, "stores.StoreSettings", ""),
        (20, "stores.StoreSettings", ""),
    ]
    # The same source in a services module is the service's own business.
    assert writes_outside_services(PLANTED, "shipments.services") == []


def test_the_checker_sees_an_admin_that_saves_a_protected_row_itself():
    from django.contrib import admin

    from shipments.models import Shipment

    class PlantedShipmentAdmin(admin.ModelAdmin):
        pass

    checker = Checker("class PlantedShipmentAdmin: pass", "portal.planted")
    checker._admin_checks(checker.tree.body[0], PlantedShipmentAdmin, Shipment)
    assert [w.how for w in checker.writes] == ["the admin's own save_model", "the admin's own delete"]
