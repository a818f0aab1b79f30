"""Carrier accounts (the workspace's settings, for owners and admins): add, edit, test, remove.

Credentials are write-only: the form never renders them back, the page never shows them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from carriers.forms import CarrierAccountForm
from carriers.selectors import carrier_account_get, carrier_account_list
from carriers.services import (
    carrier_account_create,
    carrier_account_delete,
    carrier_account_test,
    carrier_account_update,
)

from ..tenancy import portal_view


def outcome_text(outcome: str, detail: str, carrier: str) -> str:
    """A credentials test's outcome in plain words, in the reader's language."""
    texts = {
        "ok": _("%(carrier)s accepted these credentials."),
        "refused": _(
            "%(carrier)s refused these credentials (%(detail)s). Check the client ID and secret, and "
            "whether the account is in test or production mode."
        ),
        "busy": _("%(carrier)s is busy or failing right now (%(detail)s). Try again in a few minutes."),
        "unreachable": _("No answer from %(carrier)s (%(detail)s). Check the network, then try again."),
        "key": _(
            "The saved credentials cannot be read with the server's encryption key: save them again or ask "
            "an operator to check CREDENTIAL_KEYS."
        ),
    }
    return texts.get(outcome, _("Not tested yet.")) % {"carrier": carrier, "detail": detail or "—"}


@portal_view("manage_stores")
def carrier_accounts(request):
    form = CarrierAccountForm(request.POST or None, tenant=request.tenant, prefix="new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = carrier_account_create(
                tenant=request.tenant,
                carrier=data["carrier"],
                name=data["name"],
                client_id=data["client_id"],
                client_secret=data["client_secret"],
                test_mode=data["test_mode"],
                account_number=data["account_number"],
                use_for_labels=data["use_for_labels"],
                ship_from=data["ship_from"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            outcome, detail = carrier_account_test(account=account)
            (messages.success if outcome == "ok" else messages.warning)(
                request,
                _("%(carrier)s account saved. %(outcome)s")
                % {
                    "carrier": account.get_carrier_display(),
                    "outcome": outcome_text(outcome, detail, account.get_carrier_display()),
                },
            )
            return redirect("portal:carrier_accounts")
    accounts = [
        (a, outcome_text(a.last_test_outcome, a.last_test_message, a.get_carrier_display()))
        for a in carrier_account_list(tenant=request.tenant)
    ]
    return render(request, "portal/carriers/list.html", {"form": form, "accounts": accounts, "nav": "carriers"})


@portal_view("manage_stores")
def carrier_account_edit(request, pk):
    account = carrier_account_get(tenant=request.tenant, pk=pk)
    initial = {
        "name": account.name,
        "test_mode": account.test_mode,
        "account_number": account.account_number,
        "use_for_labels": account.use_for_labels,
        "ship_from": account.ship_from_id,
    }
    form = CarrierAccountForm(request.POST or None, tenant=request.tenant, initial=initial, editing=True, prefix="edit")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            carrier_account_update(
                account=account,
                name=data["name"],
                client_id=data["client_id"],
                client_secret=data["client_secret"],
                test_mode=data["test_mode"],
                account_number=data["account_number"],
                use_for_labels=data["use_for_labels"],
                ship_from=data["ship_from"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(carrier)s account saved.") % {"carrier": account.get_carrier_display()})
            return redirect("portal:carrier_accounts")
    return render(request, "portal/carriers/edit.html", {"form": form, "account": account, "nav": "carriers"})


@portal_view("manage_stores")
@require_POST
def carrier_account_test_view(request, pk):
    account = carrier_account_get(tenant=request.tenant, pk=pk)
    outcome, detail = carrier_account_test(account=account)
    (messages.success if outcome == "ok" else messages.warning)(
        request, outcome_text(outcome, detail, account.get_carrier_display())
    )
    return redirect("portal:carrier_accounts")


@portal_view("manage_stores")
@require_POST
def carrier_account_remove(request, pk):
    account = carrier_account_get(tenant=request.tenant, pk=pk)
    carrier_account_delete(account=account)
    messages.success(
        request,
        _("%(carrier)s account removed: its shipments are no longer followed.")
        % {"carrier": account.get_carrier_display()},
    )
    return redirect("portal:carrier_accounts")
