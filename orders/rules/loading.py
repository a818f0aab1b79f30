"""What a run of the rules reads once (never per order): the tenant's enabled rules for a store, compiled;
the store's products' default presets; the names its events word choices with."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model

from carriers.models import PackagePreset

from ..models import Product, Rule, ShippingPreset, Tag
from .engine import CompiledRule, Facts, compile_rules, weight_grams


@dataclass
class RuleSet:
    rules: list[CompiledRule] = field(default_factory=list)
    product_presets: dict[int, dict[str, int]] = field(default_factory=dict)  # {store id: {sku: preset id}}
    # {store id: {requested method: (preset id, "UPS Ground")}}: the store's method mapping, each method's
    # carrier and service matched to the tenant's preset with that carrier account and service.
    method_presets: dict[int, dict[str, tuple[int, str]]] = field(default_factory=dict)
    names: dict[str, dict[int, str]] = field(default_factory=dict)  # {"preset"|"tag"|…: {id: name}}

    @property
    def active(self) -> bool:
        return bool(self.rules or any(self.product_presets.values()) or any(self.method_presets.values()))

    def name(self, kind: str, pk) -> str:
        return self.names.get(kind, {}).get(pk, f"#{pk}") if pk is not None else ""


def rule_set_load(*, tenant_id: int, store_ids: list[int] | None = None, rules=None) -> RuleSet:
    """The enabled rules of the tenant (those of any store, or of the stores in `store_ids`), compiled once.
    `rules`: rows to compile instead (a rule being edited, for its preview)."""
    if rules is None:
        qs = Rule.objects.for_tenant(tenant_id).filter(enabled=True)
        rules = [r for r in qs if store_ids is None or r.store_id is None or r.store_id in store_ids]
    product_ids = {
        v for r in rules for c in r.conditions if c.get("field") == "product" for v in _as_list(c.get("value"))
    }
    product_skus = {}
    if product_ids:
        product_skus = {
            pk: (store_id, sku)
            for pk, store_id, sku in Product.objects.for_tenant(tenant_id)
            .filter(pk__in=product_ids)
            .values_list("pk", "store_id", "sku")
        }
    defaults = Product.objects.for_tenant(tenant_id).filter(default_shipping_preset__isnull=False)
    if store_ids is not None:
        defaults = defaults.filter(store_id__in=store_ids)
    product_presets: dict[int, dict[str, int]] = {}
    for store_id, sku, preset in defaults.values_list("store_id", "sku", "default_shipping_preset_id"):
        product_presets.setdefault(store_id, {})[sku] = preset
    user_model = get_user_model()
    method_presets = method_presets_load(tenant_id=tenant_id, store_ids=store_ids)
    names = {
        "preset": dict(ShippingPreset.objects.for_tenant(tenant_id).values_list("pk", "name")),
        "tag": dict(Tag.objects.for_tenant(tenant_id).values_list("pk", "name")),
        "package": dict(PackagePreset.objects.for_tenant(tenant_id).values_list("pk", "name")),
        "assignee": dict(user_model.objects.filter(memberships__tenant_id=tenant_id).values_list("pk", "username")),
    }
    return RuleSet(
        compile_rules(rules, product_skus), product_presets=product_presets, method_presets=method_presets, names=names
    )


def service_key(carrier: str, service: str) -> str:
    """A service named the way a preset names it (karrio's code, "ups_ground") or the way a shipment's
    mapping does ("Ground", "UPS Ground"), reduced to one form: lower case, words, the carrier's name
    dropped ("ground")."""
    words = re.sub(r"[\s_\-]+", " ", (service or "").casefold()).split()
    if words and words[0] == (carrier or "").casefold():
        words = words[1:]
    return " ".join(words)


def method_presets_load(*, tenant_id: int, store_ids: list[int] | None = None) -> dict[int, dict[str, tuple]]:
    """{store id: {requested method: (preset id, "UPS Ground")}}: each of the stores' method mappings whose
    carrier and service a preset of the tenant ships with (its carrier account's carrier, its service in
    either spelling: service_key); of several such presets, the first by name. Two queries, once per run."""
    presets: dict[tuple[str, str], int] = {}
    for pk, carrier, service in (
        ShippingPreset.objects.for_tenant(tenant_id)
        .order_by("name", "id")
        .values_list("pk", "carrier_account__carrier", "service")
    ):
        presets.setdefault((carrier, service_key(carrier, service)), pk)
    if not presets:
        return {}
    from shipments.models import ShippingMethodMapping

    mappings = ShippingMethodMapping.objects.for_tenant(tenant_id)
    if store_ids is not None:
        mappings = mappings.filter(store_id__in=store_ids)
    found: dict[int, dict[str, tuple]] = {}
    for store_id, method, carrier, service in mappings.values_list(
        "store_id", "requested_method", "carrier", "service"
    ):
        preset = presets.get((carrier, service_key(carrier, service)))
        if preset is not None:
            found.setdefault(store_id, {})[method.strip()] = (preset, f"{carrier} {service}".strip())
    return found


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def facts_of(order: dict, lines: list[dict], storefront: str) -> Facts:
    """What a rule reads of an order's row and line rows (dicts as the import writes them, or values())."""
    ship_to = order.get("ship_to") or {}
    flag = ship_to.get("residential")
    products = [line for line in lines if not line.get("is_adjustment")]
    return Facts(
        store_id=order["store_id"],
        storefront=storefront or "",
        shipping_method=order.get("shipping_method") or "",
        country=ship_to.get("country") or "",
        state=ship_to.get("state") or "",
        postal_code=ship_to.get("postal_code") or "",
        residential=True if flag is None else str(flag).lower() in ("1", "true", "yes"),
        weight_grams=weight_grams(order.get("total_weight"), order.get("weight_unit") or ""),
        item_count=sum(int(line.get("quantity") or 0) for line in products),
        order_total=Decimal(order.get("order_total") or 0),
        skus=tuple(line["sku"] for line in products if line.get("sku")),
        buyer_note=bool((order.get("customer_notes") or "").strip()),
        gift=bool(order.get("is_gift")),
    )


def choice_events(rule_set: RuleSet, outcome, current) -> list[dict]:
    """The history of what an evaluation changed: [{"what": …, "value": …, "rule": …}] (orders.events words
    them: "Shipping preset “Small USPS” chosen by rule “Light Outlet orders”")."""
    found = []
    for what, (before, after) in outcome.changes(current).items():
        if what == "tags":
            for tag in sorted(after - before):
                by = outcome.choices.get("tags", {}).get(str(tag), {})
                found.append({"what": "tag_added", "value": rule_set.name("tag", tag), "rule": by.get("name", "")})
            for tag in sorted(before - after):
                found.append({"what": "tag_removed", "value": rule_set.name("tag", tag), "rule": ""})
        elif what == "hold":
            found.append({"what": "hold", "value": after.get("until") or "review", "rule": after["name"]})
        elif after is None:
            found.append({"what": f"{what}_cleared", "value": rule_set.name(what, before), "rule": ""})
        else:
            by = outcome.choices.get(what, {})
            if by.get("by") == "mapping":
                mapped = f"“{by['method']}” → {by['to']}"
                found.append({"what": "preset_mapped", "value": rule_set.name(what, after), "rule": mapped})
                continue
            if by.get("by") == "product":
                found.append({"what": "preset_product", "value": rule_set.name(what, after), "rule": by["sku"]})
                continue
            found.append({"what": what, "value": rule_set.name(what, after), "rule": by.get("name") or ""})
    return found


def outcome_fields(outcome) -> dict:
    """The order columns an outcome sets (attnames, as bulk rows and bulk_update take them)."""
    return {
        "shipping_preset_id": outcome.preset,
        "package_id": outcome.package,
        "assignee_id": outcome.assignee,
        "choices": outcome.choices,
        "rules_error": "",
    }
