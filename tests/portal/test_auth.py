import pytest
from django.core import mail
from django.urls import reverse

from stores.models import Role
from tests import factories

PASSWORD = "pw-for-tests-1"


def test_sign_in_lands_on_dashboard(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/" and b"Dashboard" in response.content


def test_sign_out_needs_post_and_ends_session(alice_client):
    alice_client.post(reverse("logout"))
    assert alice_client.get(reverse("portal:dashboard")).status_code == 302


def _fail_five_times(client, url, username):
    for _ in range(5):
        client.post(url, {"username": username, "password": "wrong-password"})


def test_portal_locks_out_after_five_bad_passwords(client, alice):
    _fail_five_times(client, reverse("login"), "alice")
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_locks_out_after_five_bad_passwords(client, operator):
    _fail_five_times(client, reverse("admin:login"), "operator")
    response = client.post(reverse("admin:login"), {"username": "operator", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_an_email(client, alice):
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/reset/" in mail.outbox[0].body


def test_user_without_workspace_sees_explanation(client, operator):
    client.force_login(operator)
    assert client.get(reverse("portal:dashboard")).status_code == 404


def test_tenant_switcher_moves_between_tenants(alice_client, alice, tenant_b, store_b):
    factories.make_member(tenant_b, alice, Role.VIEWER)
    page = alice_client.get(reverse("portal:store_list")).content.decode()
    assert "Bravo Shop" not in page and 'name="tenant_id"' in page
    alice_client.post(reverse("portal:tenant_switch"), {"tenant_id": tenant_b.pk, "next": "/stores/"})
    assert "Bravo Shop" in alice_client.get(reverse("portal:store_list")).content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com"])
def test_tenant_switch_refuses_foreign_redirects(alice_client, tenant_a, next_url):
    response = alice_client.post(reverse("portal:tenant_switch"), {"tenant_id": tenant_a.pk, "next": next_url})
    assert response["Location"] == "/"


def test_language_switcher_shows_french(alice_client):
    alice_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert "Tableau de bord" in alice_client.get(reverse("portal:dashboard")).content.decode()


def test_order_statuses_are_translated(alice_client, order_a):
    alice_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    body = alice_client.get(reverse("portal:order_list")).content.decode()
    assert "En attente d&#x27;expédition" in body and "Commandes" in body
