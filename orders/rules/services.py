"""Writes of issue 30: tags, shipping presets, rules, an order's choices by a person, and re-applying the
rules to a selection. Views, serializers, the admin and the import call these (docs/rules.md)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from carriers.models import CarrierAccount, PackagePreset
from stores.models import Store, Tenant

from ..actions import HOLDABLE
from ..events import event, rules_applied
from ..models import Order, OrderEvent, OrderStatus, OrderTag, Product, Rule, ShippingPreset, Tag
from ..selectors import assignable_people
from ..services import order_set_hold
from . import schema
from .engine import PERSON, Current, RuleFieldMissing, evaluate, hold_until
from .loading import RuleSet, choice_events, outcome_fields, rule_set_load
from .selectors import lines_by_order, order_facts

TAG_FIELDS = ("name", "color")
PRESET_FIELDS = ("name", "carrier_account", "service", "package", "confirmation", "insurance")
RULE_FIELDS = ("name", "store", "enabled", "match", "conditions", "actions", "override_manual", "position")


def _person(actor: str) -> dict:
    return {"by": PERSON, "actor": actor}


def _save(obj, *, unique_message: str) -> None:
    try:
        with transaction.atomic():
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save()
    except IntegrityError:
        raise ValidationError({"name": [unique_message]}) from None


# --- tags -------------------------------------------------------------------------------------------------


def tag_save(*, tenant: Tenant, tag: Tag | None = None, **values) -> Tag:
    tag = tag or Tag(tenant=tenant)
    for name in TAG_FIELDS:
        if name in values:
            setattr(tag, name, values[name].strip() if name == "name" else values[name])
    _save(tag, unique_message="A tag of this name exists already.")
    return tag


def tag_delete(*, tag: Tag) -> None:
    tag.delete()


# --- shipping presets -------------------------------------------------------------------------------------


def preset_save(*, tenant: Tenant, preset: ShippingPreset | None = None, **values) -> ShippingPreset:
    preset = preset or ShippingPreset(tenant=tenant)
    for name in PRESET_FIELDS:
        if name in values:
            setattr(preset, name, values[name])
    if (
        preset.carrier_account_id
        and not CarrierAccount.objects.for_tenant(tenant).filter(pk=preset.carrier_account_id).exists()
    ):
        raise ValidationError({"carrier_account": ["No such carrier account."]})
    if preset.package_id and not PackagePreset.objects.for_tenant(tenant).filter(pk=preset.package_id).exists():
        raise ValidationError({"package": ["No such package preset."]})
    preset.updated_at = timezone.now()
    _save(preset, unique_message="A shipping preset of this name exists already.")
    return preset


def preset_delete(*, preset: ShippingPreset) -> None:
    preset.delete()


def product_defaults_set(*, product: Product, **values) -> Product:
    """A product's default shipping preset and customs fields (HS code, country of origin, description)."""
    fields = []
    for name in ("default_shipping_preset", "hs_code", "country_of_origin", "customs_description"):
        if name in values:
            setattr(product, name, values[name])
            fields.append(name)
    preset = product.default_shipping_preset
    if preset is not None and preset.tenant_id != product.store.tenant_id:
        raise ValidationError({"default_shipping_preset": ["No such shipping preset."]})
    product.country_of_origin = (product.country_of_origin or "").upper()
    product.updated_at = timezone.now()
    product.save(update_fields=[*fields, "updated_at"])
    return product


# --- rules ------------------------------------------------------------------------------------------------


def rule_check(*, tenant: Tenant, conditions, actions) -> None:
    """Refuse a malformed rule, with the condition's or action's field named, or one naming another
    tenant's rows (ValidationError {"conditions": […], "actions": […]})."""
    errors = schema.validate(conditions, actions)
    if errors:
        raise ValidationError(errors)
    names = {
        "store": Store.objects.for_tenant(tenant),
        "product": Product.objects.for_tenant(tenant),
        "tag": Tag.objects.for_tenant(tenant),
        "preset": ShippingPreset.objects.for_tenant(tenant),
        "package": PackagePreset.objects.for_tenant(tenant),
        "user": get_user_model().objects.filter(memberships__tenant=tenant),
    }
    for kind, ids in schema.referenced(conditions, actions).items():
        if not ids:
            continue
        found = set(names[kind].filter(pk__in=ids).values_list("pk", flat=True))
        if found != ids:
            where = "conditions" if kind in ("store", "product") else "actions"
            if kind == "tag" and any(c.get("field") == "tag" and c.get("value") in ids - found for c in conditions):
                where = "conditions"
            missing = ", ".join(str(i) for i in sorted(ids - found))
            raise ValidationError({where: [f"{kind}: no such {kind} ({missing})"]})


@transaction.atomic
def rule_save(*, tenant: Tenant, rule: Rule | None = None, **values) -> Rule:
    rule = rule or Rule(tenant=tenant)
    for name in RULE_FIELDS:
        if name in values:
            setattr(rule, name, values[name])
    if rule.store_id and not Store.objects.for_tenant(tenant).filter(pk=rule.store_id).exists():
        raise ValidationError({"store": ["No such store."]})
    rule_check(tenant=tenant, conditions=rule.conditions, actions=rule.actions)
    if rule.pk is None and "position" not in values:
        last = Rule.objects.for_tenant(tenant).aggregate(last=Max("position"))["last"]
        rule.position = 0 if last is None else last + 1
    rule.updated_at = timezone.now()
    rule.full_clean(validate_unique=False, validate_constraints=False)
    rule.save()
    return rule


def rule_delete(*, rule: Rule) -> None:
    rule.delete()


def rules_reorder(*, tenant: Tenant, ids: list[int]) -> None:
    """Put the tenant's rules in the order `ids` gives (the others after them, in their order)."""
    rules = list(Rule.objects.for_tenant(tenant))
    rank = {pk: i for i, pk in enumerate(ids)}
    rules.sort(key=lambda r: (rank.get(r.pk, len(rank)), r.position, r.pk))
    for position, rule in enumerate(rules):
        rule.position = position
    Rule.objects.bulk_update(rules, ["position"])


# --- an order's choices by a person, in bulk ----------------------------------------------------------------


def _orders(tenant: Tenant, orders: Iterable) -> list[Order]:
    ids = [o.pk if isinstance(o, Order) else int(o) for o in orders]
    return list(Order.objects.for_tenant(tenant).filter(pk__in=ids).select_related("store", "storefront"))


@transaction.atomic
def orders_tags_set(*, tenant: Tenant, orders: Iterable, actor: str, add=(), remove=()) -> int:
    """Add and remove tags on orders by hand (a person's choice, which later rules keep). Returns how many
    orders changed."""
    add = list(Tag.objects.for_tenant(tenant).filter(pk__in=[int(t) for t in add]))
    remove = list(Tag.objects.for_tenant(tenant).filter(pk__in=[int(t) for t in remove]))
    targets = _orders(tenant, orders)
    held = set(OrderTag.objects.filter(order__in=targets).values_list("order_id", "tag_id"))
    new_rows, gone, events, changed = [], Q(), [], []
    now = timezone.now()
    for order in targets:
        tags = dict(order.choices.get("tags") or {})
        touched = False
        for tag in add:
            tags[str(tag.pk)] = _person(actor)
            if (order.pk, tag.pk) not in held:
                new_rows.append(OrderTag(order=order, tag=tag, created_at=now))
                events.append(OrderEvent(order=order, actor=actor, **event("choice", what="tag_added", value=tag.name)))
            touched = True
        for tag in remove:
            tags[str(tag.pk)] = {**_person(actor), "removed": True}
            if (order.pk, tag.pk) in held:
                gone |= Q(order_id=order.pk, tag_id=tag.pk)
                events.append(
                    OrderEvent(order=order, actor=actor, **event("choice", what="tag_removed", value=tag.name))
                )
            touched = True
        if touched:
            order.choices = {**order.choices, "tags": tags}
            changed.append(order)
    OrderTag.objects.bulk_create(new_rows, ignore_conflicts=True)
    if gone:
        OrderTag.objects.filter(gone).delete()
    OrderEvent.objects.bulk_create(events)
    Order.objects.bulk_update(changed, ["choices"], batch_size=500)
    return len({e.order_id for e in events})


@transaction.atomic
def orders_preset_set(*, tenant: Tenant, orders: Iterable, preset: ShippingPreset | None, actor: str) -> int:
    """Choose (or clear) the preset orders ship with, by hand: a person's choice, kept by later rules."""
    if preset is not None and preset.tenant_id != tenant.pk:
        raise ValidationError({"preset": ["No such shipping preset."]})
    changed = []
    events = []
    for order in _orders(tenant, orders):
        choices = {**order.choices, "preset": _person(actor)}
        if order.shipping_preset_id == (preset.pk if preset else None) and order.choices == choices:
            continue
        if order.shipping_preset_id != (preset.pk if preset else None):
            params = {"what": "preset", "value": preset.name} if preset else {"what": "preset_cleared"}
            events.append(OrderEvent(order=order, actor=actor, **event("choice", **params)))
        order.shipping_preset = preset
        order.choices = choices
        order.updated_at = timezone.now()
        changed.append(order)
    Order.objects.bulk_update(changed, ["shipping_preset", "choices", "updated_at"], batch_size=500)
    OrderEvent.objects.bulk_create(events)
    return len(changed)


@transaction.atomic
def orders_assignee_set(*, tenant: Tenant, orders: Iterable, user, actor: str) -> int:
    """Mark orders for a person (or for nobody: `user` None), by hand: a person's choice, kept by later
    rules unless they override it. `user`: a member of the workspace (or its id). Returns how many changed."""
    if user is not None:
        pk = user.pk if hasattr(user, "pk") else user
        user = assignable_people(tenant=tenant).filter(pk=pk).first()
        if user is None:
            raise ValidationError({"assignee": ["No such person in this workspace."]})
    wanted = user.pk if user is not None else None
    changed, events = [], []
    now = timezone.now()
    for order in _orders(tenant, orders):
        choices = {**order.choices, "assignee": _person(actor)}
        if order.assignee_id == wanted and order.choices == choices:
            continue
        if order.assignee_id != wanted:
            params = {"what": "assignee", "value": user.get_username()} if user else {"what": "assignee_cleared"}
            events.append(OrderEvent(order=order, actor=actor, **event("choice", **params)))
        order.assignee_id = wanted
        order.choices = choices
        order.updated_at = now
        changed.append(order)
    Order.objects.bulk_update(changed, ["assignee_id", "choices", "updated_at"], batch_size=500)
    OrderEvent.objects.bulk_create(events)
    return len(changed)


# --- re-applying the rules ------------------------------------------------------------------------------------


def _current(order: Order, tags: set[int]) -> Current:
    return Current(
        preset=order.shipping_preset_id,
        package=order.package_id,
        assignee=order.assignee_id,
        tags=frozenset(tags),
        on_hold=order.status == OrderStatus.ON_HOLD,
        choices=order.choices or {},
    )


@transaction.atomic
def rules_reapply(*, tenant: Tenant, orders: Iterable, actor: str, rule_set: RuleSet | None = None) -> dict:
    """Run the rules again over orders (the portal's and the API's "re-apply rules"): their choices are
    computed afresh from the rules and people's choices. Returns {"changed": n, "unchanged": n, "skipped": n}."""
    targets = _orders(tenant, orders)
    rule_set = rule_set or rule_set_load(tenant_id=tenant.pk)
    lines = lines_by_order(o.pk for o in targets)
    tags: dict[int, set[int]] = {}
    for order_id, tag_id in OrderTag.objects.filter(order__in=targets).values_list("order_id", "tag_id"):
        tags.setdefault(order_id, set()).add(tag_id)
    counts = {"changed": 0, "unchanged": 0, "skipped": 0}
    changed, events, new_tags, gone, holds = [], [], [], Q(), []
    now = timezone.now()
    for order in targets:
        current = _current(order, tags.get(order.pk, set()))
        try:
            outcome = evaluate(
                rule_set.rules,
                order_facts(order, lines.get(order.pk, [])),
                current,
                product_presets=rule_set.product_presets.get(order.store_id),
                method_presets=rule_set.method_presets.get(order.store_id),
            )
        except RuleFieldMissing as error:
            counts["skipped"] += 1
            reason = str(error)[:300]
            if order.rules_error != reason:
                order.rules_error = reason
                changed.append(order)
                events.append(OrderEvent(order=order, actor=actor, **event("rules_skipped", reason=reason)))
            continue
        fields = outcome_fields(outcome)
        history = choice_events(rule_set, outcome, current)
        if outcome.hold is not None and order.status in HOLDABLE and not order.store.is_disconnected:
            holds.append((order, outcome.hold))
        elif outcome.hold is not None:  # a hold the order cannot take now
            history = [h for h in history if h["what"] != "hold"]
            outcome.choices.pop("hold", None)
        if not history and all(getattr(order, k) == v for k, v in fields.items()):
            counts["unchanged"] += 1
            continue
        counts["changed"] += 1
        for name, value in fields.items():
            setattr(order, name, value)
        order.updated_at = now
        changed.append(order)
        before = tags.get(order.pk, set())
        new_tags += [OrderTag(order=order, tag_id=t, created_at=now) for t in outcome.tags - before]
        for t in before - outcome.tags:
            gone |= Q(order_id=order.pk, tag_id=t)
        history = [h for h in history if h["what"] != "hold"]  # the hold's line is the hold service's
        if history:
            events.append(OrderEvent(order=order, actor=actor, **rules_applied(history)))
    Order.objects.bulk_update(
        changed,
        ["shipping_preset_id", "package_id", "assignee_id", "choices", "rules_error", "updated_at"],
        batch_size=500,
    )
    OrderTag.objects.bulk_create(new_tags, ignore_conflicts=True)
    if gone:
        OrderTag.objects.filter(gone).delete()
    OrderEvent.objects.bulk_create(events)
    for order, hold in holds:
        _hold(order, hold, actor)
    return counts


def _hold(order: Order, hold: dict, actor: str) -> None:
    """A rule's hold, through the hold service (an order that cannot be held is left as it is)."""
    reason = hold.get("reason") or f"rule “{hold['name']}”"
    try:
        order_set_hold(order=order, hold=True, actor=actor, reason=reason)
    except ValidationError:
        return
    Order.objects.filter(pk=order.pk).update(hold_until=hold_until(hold))
    OrderEvent.objects.create(
        order=order,
        actor=actor,
        **rules_applied([{"what": "hold", "value": hold.get("until") or "review", "rule": hold["name"]}]),
    )


def holds_release_due(*, today=None, limit: int = 500) -> int:
    """Release the orders a rule held until a date that has come (`hold_until` on or before today, the site's
    time zone), through the hold service, with the history's line; an order that can no longer be released
    (its store disconnected, shipped meanwhile) keeps its date and is tried again next time. A sweep across
    workspaces, the scheduled task's (orders.tasks.holds_release_task): read through the partial index of
    the orders held until a date. Returns how many were released."""
    today = today or timezone.localdate()
    due = list(
        Order.objects.filter(hold_until__isnull=False, hold_until__lte=today, status=OrderStatus.ON_HOLD)
        .select_related("store")
        .order_by("hold_until", "id")[:limit]
    )
    released = 0
    for order in due:
        try:
            with transaction.atomic():
                order_set_hold(order=order, hold=False, actor="rules")
                Order.objects.filter(pk=order.pk).update(hold_until=None)
        except ValidationError:
            continue
        released += 1
    return released
