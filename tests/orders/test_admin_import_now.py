"""The admin's "Import now" and "Reconcile now" say when the run they started has already failed."""

from __future__ import annotations

import pytest
from django.contrib.messages import ERROR, SUCCESS

from orders import admin as orders_admin
from orders.models import ImportRun, ImportState
from tests.factories import operator_sign_in

pytestmark = pytest.mark.django_db


def run_of(store, state, error=""):
    return ImportRun.objects.create(store=store, trigger="manual", state=state, error=error)


@pytest.mark.parametrize(
    ("state", "level", "words"),
    [
        (ImportState.FAILED, ERROR, "failed: The store refused the password."),
        (ImportState.QUEUED, SUCCESS, "queued."),
        (ImportState.SUCCEEDED, SUCCESS, "succeeded."),
    ],
)
def test_import_now_reports_the_run_as_it_stands(client, operator, store_a, monkeypatch, state, level, words):
    monkeypatch.setattr(
        orders_admin, "import_request", lambda **kw: run_of(kw["store"], state, "The store refused the password.")
    )
    operator_sign_in(client, operator)
    response = client.post(
        "/admin/stores/store/", {"action": "import_now", "_selected_action": [store_a.pk]}, follow=True
    )
    [message] = list(response.context["messages"])
    assert message.level == level
    assert message.message.startswith(f"{store_a.name}: import run ")
    assert message.message.endswith(words)
