"""The tenant's audit trail, for its owners: who did what, when, from where; filtered by action, person and
dates; exported as CSV. Read only: there is no way to change an entry."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from audit.export import audit_csv_response
from audit.models import Action
from audit.selectors import PAGE_SIZE, audit_actors, audit_entries

from ..forms import DateInput
from ..labels import WEIGHT_UNIT_LABELS, carrier_label, label_for
from ..tenancy import portal_view


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.ChoiceField(label=_("Who"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput())

    def __init__(self, *args, actors: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *Action.choices]
        self.fields["actor"].choices = [("", _("Everyone")), *((name, name) for name in actors)]


def _filtered(request):
    form = AuditFilterForm(request.GET or None, actors=audit_actors(tenant=request.tenant))
    data = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries(
        tenant=request.tenant,
        action=data.get("action") or "",
        actor=data.get("actor") or "",
        since=data.get("since"),
        until=data.get("until"),
    )
    return form, entries, data.get("before")


# Fields whose recorded value is a code the portal shows in words (the state, the role, the road…).
CODED = {"state", "role", "status", "road", "rest_auth", "platform"}


def shown(name: str, value):
    """A recorded value as the portal shows it: codes in the page's language, yes/no, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext_now("Yes") if value else gettext_now("No")
    if name == "carrier":
        return carrier_label(str(value))
    if name == "default_weight_unit":
        return WEIGHT_UNIT_LABELS.get(value, value)
    return label_for(str(value)) if name in CODED else value


def changes(entry) -> list[tuple[str, object, object]]:
    """(field, before, after) of an entry, as shown."""
    before, after = entry.before or {}, entry.after or {}
    return [(n, shown(n, before[n]) if n in before else None, shown(n, after.get(n))) for n in {**before, **after}]


@portal_view("view_audit")
def audit_log(request):
    form, entries, before = _filtered(request)
    if before:
        entries = entries.filter(id__lt=before)
    page = list(entries[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    for entry in page:
        entry.changes = changes(entry)
    older = None
    if more:
        query = request.GET.copy()
        query["before"] = page[-1].pk
        older = query.urlencode()
    export = request.GET.copy()
    export.pop("before", None)
    context = {"form": form, "entries": page, "older": older, "export_query": export.urlencode(), "nav": "audit"}
    return render(request, "portal/audit_log.html", context)


@portal_view("view_audit")
def audit_export(request):
    return audit_csv_response(_filtered(request)[1])
