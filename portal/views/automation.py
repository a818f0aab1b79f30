"""Issue 30's pages: tags, shipping presets and automation rules (a rule's editor with its preview over today's
orders), the order list's batch choices (tag, untag, preset, re-apply rules) and the order page's "why".
Written through orders.rules.services; every read by the tenant."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carriers.selectors import package_preset_list
from orders.models import Rule, ShippingPreset, Tag
from orders.rules import services as rule_services
from orders.rules.loading import rule_set_load
from orders.rules.selectors import rule_preview
from orders.selectors import assignable_people, product_list, shipping_preset_list, tag_list
from stores.selectors import store_list

from ..forms_automation import (
    FIELD_LABELS,
    MAX_ROWS,
    OP_LABELS,
    UNIT_LABELS,
    ConditionRow,
    Names,
    RuleForm,
    ShippingPresetForm,
    TagForm,
    conditions_from_rows,
    initial_from_post,
    row_of,
    rows_from_post,
    rule_initial,
)
from ..selection import resolve_order_selection
from ..tenancy import portal_view
from .shipping_methods import _apply

MAX_CHOICES = 5_000  # the most orders one batch choice changes


def _get(model, request, pk):
    try:
        return model.objects.for_tenant(request.tenant).get(pk=pk)
    except model.DoesNotExist:
        raise Http404 from None


def order_choices_view(order) -> list[dict]:
    """The order page's shipping choices and why each was made: [{"what", "value", "why"}]."""
    names = {"preset": order.shipping_preset, "package": order.package, "assignee": order.assignee}
    rows = []
    for what, label in (("preset", _("Shipping preset")), ("package", _("Package")), ("assignee", _("Marked for"))):
        value = names[what]
        if value is None:
            continue
        rows.append({"what": label, "value": str(value), "why": _why(order.choices.get(what) or {})})
    hold = order.choices.get("hold")
    if hold and order.status == "on_hold":
        until = order.hold_until.isoformat() if order.hold_until else _("review")
        rows.append({"what": _("Held until"), "value": until, "why": _why(hold)})
    return rows


def _why(by: dict) -> str:
    if by.get("by") == "rule":
        return _("by rule “%(name)s”") % {"name": by.get("name", "")}
    if by.get("by") == "person":
        return _("by %(actor)s") % {"actor": by.get("actor", "")}
    if by.get("by") == "mapping":
        return _("by the method mapping “%(method)s” → %(to)s") % {
            "method": by.get("method", ""),
            "to": by.get("to", ""),
        }
    if by.get("by") == "product":
        return _("default of product %(sku)s") % {"sku": by.get("sku", "")}
    return ""


# --- batch choices on the order list and the order page --------------------------------------------------


@portal_view("ship")
@require_POST
def orders_choices(request):
    """Tag, untag, choose a preset, mark for a person or re-apply the rules on the list's selection (or one
    order's page)."""
    selection = resolve_order_selection(request.tenant, request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = reverse("portal:order_list") + ("?" + selection.query.urlencode() if selection.query else "")
    if selection.empty or selection.refusal:
        messages.error(request, selection.refusal or _("Select at least one order first."))
        return redirect(back)
    ids = list(selection.orders.values_list("pk", flat=True)[: MAX_CHOICES + 1])
    if len(ids) > MAX_CHOICES:
        messages.error(request, _("At most %(max)s orders at once: narrow the list.") % {"max": MAX_CHOICES})
        return redirect(back)
    action, actor = request.POST.get("choice", ""), request.user.get_username()
    raw = request.POST.get("tag" if action in ("tag_add", "tag_remove") else "preset", "")
    pk = int(raw) if raw.isdigit() else None
    if action in ("tag_add", "tag_remove"):
        if pk is None or not tag_list(tenant=request.tenant).filter(pk=pk).exists():
            messages.error(request, _("Choose a tag."))
            return redirect(back)
        changed = rule_services.orders_tags_set(
            tenant=request.tenant, orders=ids, actor=actor, **{"add" if action == "tag_add" else "remove": [pk]}
        )
        messages.success(request, _("Tags changed on %(n)s order(s).") % {"n": changed})
    elif action == "preset":
        preset = shipping_preset_list(tenant=request.tenant).filter(pk=pk).first() if pk else None
        if pk and preset is None:
            messages.error(request, _("Choose a shipping preset."))
            return redirect(back)
        changed = rule_services.orders_preset_set(tenant=request.tenant, orders=ids, preset=preset, actor=actor)
        messages.success(request, _("Shipping preset set on %(n)s order(s).") % {"n": changed})
    elif action == "assign":
        raw = request.POST.get("assign_to", "")
        person = assignable_people(tenant=request.tenant).filter(pk=int(raw)).first() if raw.isdigit() else None
        if raw and person is None:
            messages.error(request, _("Choose a member of this workspace."))
            return redirect(back)
        changed = rule_services.orders_assignee_set(tenant=request.tenant, orders=ids, user=person, actor=actor)
        if person is None:
            messages.success(request, _("%(n)s order(s) no longer marked for anyone.") % {"n": changed})
        else:
            messages.success(
                request, _("%(n)s order(s) marked for %(name)s.") % {"n": changed, "name": person.get_username()}
            )
    elif action == "reapply":
        counts = rule_services.rules_reapply(tenant=request.tenant, orders=ids, actor=actor)
        messages.success(
            request,
            _("Rules re-applied: %(changed)s changed, %(unchanged)s unchanged, %(skipped)s skipped.") % counts,
        )
    else:
        messages.error(request, _("Choose what to do with the selected orders."))
    return redirect(back)


# --- tags -------------------------------------------------------------------------------------------------


def _delete(request, row, delete, *, done, what, consequence, back, form_id):
    if request.method == "POST":
        delete(row)
        messages.success(request, done % {"name": row.name})
        return redirect(back)
    context = {"what": what, "name": row.name, "consequence": consequence, "back": back, "form_id": form_id}
    return render(request, "portal/shipping/delete.html", {**context, "nav": "automation"})


@portal_view("ship")
@require_http_methods(["GET", "POST"])
def tag_index(request):
    form = TagForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        if _apply(form, lambda: rule_services.tag_save(tenant=request.tenant, **form.cleaned_data)):
            messages.success(request, _("Tag “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return redirect("portal:tag_index")
    return render(
        request,
        "portal/automation/tags.html",
        {"tags": list(tag_list(tenant=request.tenant)), "form": form, "nav": "automation"},
        status=400 if form.errors else 200,
    )


def _edit(request, row, form, write, *, template: str, back: str, saved: str):
    """A row's edit page: its form, saved through `write()`, then back to its list."""
    if request.method == "POST" and form.is_valid() and _apply(form, write):
        messages.success(request, saved % {"name": form.cleaned_data["name"]})
        return redirect(back)
    return render(
        request, template, {"form": form, "row": row, "nav": "automation"}, status=400 if form.errors else 200
    )


@portal_view("ship")
@require_http_methods(["GET", "POST"])
def tag_edit(request, pk):
    tag = _get(Tag, request, pk)
    form = TagForm(request.POST or None, prefix="edit", initial={"name": tag.name, "color": tag.color})
    return _edit(
        request,
        tag,
        form,
        lambda: rule_services.tag_save(tenant=request.tenant, tag=tag, **form.cleaned_data),
        template="portal/automation/tag_edit.html",
        back="portal:tag_index",
        saved=_("Tag “%(name)s” saved."),
    )


@portal_view("ship")
@require_http_methods(["GET", "POST"])
def tag_delete(request, pk):
    return _delete(
        request,
        _get(Tag, request, pk),
        lambda row: rule_services.tag_delete(tag=row),
        done=_("Tag “%(name)s” deleted."),
        what=_("Delete this tag?"),
        consequence=_("Every order loses it, and rules that name it must be edited."),
        back="portal:tag_index",
        form_id="tag-delete",
    )


# --- shipping presets -----------------------------------------------------------------------------------


def _preset_form(request, data=None, initial=None, prefix="preset"):
    from carriers.selectors import carrier_account_list

    return ShippingPresetForm(
        data,
        initial=initial,
        prefix=prefix,
        accounts=list(carrier_account_list(tenant=request.tenant)),
        packages=list(package_preset_list(tenant=request.tenant)),
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def preset_index(request):
    form = _preset_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _apply(form, lambda: rule_services.preset_save(tenant=request.tenant, **form.values())):
            messages.success(request, _("Shipping preset “%(name)s” added.") % {"name": form.cleaned_data["name"]})
            return redirect("portal:preset_index")
    return render(
        request,
        "portal/automation/presets.html",
        {"presets": list(shipping_preset_list(tenant=request.tenant)), "form": form, "nav": "automation"},
        status=400 if form.errors else 200,
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def preset_edit(request, pk):
    preset = _get(ShippingPreset, request, pk)
    initial = {
        "name": preset.name,
        "carrier_account": preset.carrier_account_id,
        "service": preset.service,
        "package": preset.package_id,
        "confirmation": preset.confirmation,
        "insurance": preset.insurance,
    }
    form = _preset_form(request, request.POST or None, initial=initial, prefix="edit")
    return _edit(
        request,
        preset,
        form,
        lambda: rule_services.preset_save(tenant=request.tenant, preset=preset, **form.values()),
        template="portal/automation/preset_edit.html",
        back="portal:preset_index",
        saved=_("Shipping preset “%(name)s” saved."),
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def preset_delete(request, pk):
    return _delete(
        request,
        _get(ShippingPreset, request, pk),
        lambda row: rule_services.preset_delete(preset=row),
        done=_("Shipping preset “%(name)s” deleted."),
        what=_("Delete this shipping preset?"),
        consequence=_("Orders that would ship with it keep no preset; rules that name it must be edited."),
        back="portal:preset_index",
        form_id="preset-delete",
    )


# --- rules -----------------------------------------------------------------------------------------------


@portal_view("manage_stores")
def rule_index(request):
    rules = list(Rule.objects.for_tenant(request.tenant).select_related("store"))
    return render(request, "portal/automation/rules.html", {"rules": rules, "nav": "automation"})


def _names(tenant, stores, rule_set, conditions) -> Names:
    """The names a rule's conditions show and read (stores, tags, the products it names by SKU)."""
    product_ids = {
        v
        for c in conditions
        if isinstance(c, dict) and c.get("field") == "product"
        for v in (c.get("value") if isinstance(c.get("value"), list) else [c.get("value")])
    }
    products = product_list(tenant=tenant)

    def find(sku: str) -> dict[int, str]:
        return dict(products.filter(sku__iexact=sku).values_list("pk", "sku")) if sku else {}

    return Names(
        stores={s.pk: s.name for s in stores},
        tags=rule_set.names["tag"],
        products=dict(products.filter(pk__in=[i for i in product_ids if isinstance(i, int)]).values_list("pk", "sku")),
        find_products=find,
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk=None):
    """The rule editor: its conditions are rows (field, operator, value) added and removed by plain POSTs
    ("Add a condition", "Remove"), its actions fields; "Preview" shows what it would match today, unsaved."""
    rule = _get(Rule, request, pk) if pk is not None else None
    stores = list(store_list(tenant=request.tenant))
    rule_set = rule_set_load(tenant_id=request.tenant.pk, rules=[])
    post = request.POST if request.method == "POST" else None
    stored = rule.conditions if rule is not None else []
    names = _names(request.tenant, stores, rule_set, stored)
    kwargs = {"stores": stores, "names": rule_set.names, "prefix": "rule"}
    preview, condition_errors, action_errors = None, [], []
    if post is None:
        rows = [row_of(i, c, names) for i, c in enumerate(stored)] or [ConditionRow(0)]
        form = RuleForm(initial=rule_initial(rule) if rule else None, **kwargs)
    else:
        rows = rows_from_post(post)
        editing = post.get("cond-add") or post.get("cond-remove")
        if editing:  # the form as typed, a row more or less, without errors yet
            if post.get("cond-add") and len(rows) < MAX_ROWS:
                rows.append(ConditionRow(len(rows)))
            form = RuleForm(initial=initial_from_post(post), **kwargs)
        else:
            form = RuleForm(post, **kwargs)
            conditions, condition_errors = conditions_from_rows(rows, names)
            if form.is_valid() and not condition_errors:
                values = form.values(conditions)
                try:
                    if post.get("preview"):
                        rule_services.rule_check(
                            tenant=request.tenant, conditions=values["conditions"], actions=values["actions"]
                        )
                    else:
                        rule_services.rule_save(tenant=request.tenant, rule=rule, **values)
                except ValidationError as refused:
                    # The schema's refusals, worded with the condition (or action) and its field, beside them.
                    found = refused.message_dict if hasattr(refused, "error_dict") else {None: refused.messages}
                    condition_errors += found.pop("conditions", [])
                    action_errors += found.pop("actions", [])
                    for name, messages_ in found.items():
                        form.add_error(name if name in form.fields else None, messages_)
                else:
                    if not post.get("preview"):
                        messages.success(request, _("Rule “%(name)s” saved.") % {"name": values["name"]})
                        return redirect("portal:rule_index")
                    candidate = Rule(tenant=request.tenant, **values)
                    candidate.id = rule.pk if rule else 0
                    preview = rule_preview(tenant=request.tenant, rule=candidate)
            if not rows:
                rows = [ConditionRow(0)]
    return render(
        request,
        "portal/automation/rule_edit.html",
        {
            "form": form,
            "rule": rule,
            "rows": rows,
            "row_errors": condition_errors,
            "action_errors": action_errors,
            "field_choices": list(FIELD_LABELS.items()),
            "op_choices": list(OP_LABELS.items()),
            "unit_choices": list(UNIT_LABELS.items()),
            "preview": preview,
            "nav": "automation",
        },
        status=400 if (form.is_bound and form.errors) or condition_errors or action_errors else 200,
    )


@portal_view("manage_stores")
@require_http_methods(["GET", "POST"])
def rule_delete(request, pk):
    return _delete(
        request,
        _get(Rule, request, pk),
        lambda row: rule_services.rule_delete(rule=row),
        done=_("Rule “%(name)s” deleted."),
        what=_("Delete this rule?"),
        consequence=_("Orders keep what it chose; the next imports and re-applies no longer use it."),
        back="portal:rule_index",
        form_id="rule-delete",
    )
