"""Browser-facing hardening (issue 14): a Content-Security-Policy, http(s)-only store images, and a
per-IP sign-in limit besides the per-(username, IP) one."""

import re

import pytest
from django.urls import reverse

from config.login_limit import LOCKOUT_PARAMETERS
from orders.models import OrderLine
from tests import factories

PASSWORD = "pw-for-tests-1"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_lockout_parameters_match_the_handler(settings):
    assert settings.AXES_LOCKOUT_PARAMETERS == LOCKOUT_PARAMETERS


@pytest.mark.parametrize(
    "name", ["portal:dashboard", "portal:order_list", "portal:store_list", "portal:users", "portal:api_keys"]
)
def test_pages_carry_a_csp_without_inline_handlers(alice_client, store_a, name):
    response = alice_client.get(reverse(name))
    policy = response["Content-Security-Policy"]
    scripts = policy.split("script-src")[1].split(";")[0]
    assert scripts.startswith(" 'self' 'nonce-") and "'unsafe-inline'" not in scripts
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    body = response.content.decode()
    assert not INLINE_HANDLER.search(body), INLINE_HANDLER.search(body)
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    for tag in re.findall(r"<script\b[^>]*>", body):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag


def test_store_settings_page_runs_no_inline_script(alice_client, store_a):
    """Its live progress and e-mail preview come from static/portal.js: nothing inline for the policy to allow."""
    response = alice_client.get(reverse("portal:store_settings", args=[store_a.pk]))
    assert re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts and all("src=" in tag for tag in scripts) and not INLINE_HANDLER.search(body)


def test_the_email_preview_may_be_framed_by_our_own_pages_only(alice_client, shipment_a):
    store = shipment_a.order.store
    response = alice_client.get(reverse("portal:email_preview", args=[store.pk]))
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_the_api_docs_run_under_the_policy(client):
    body = client.get("/api/docs/").content.decode()
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", body))


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>", " JavaScript:alert(1)"]
)
def test_a_non_web_image_url_is_never_rendered(alice_client, order_a, url):
    OrderLine.objects.filter(order=order_a).update(image_url=url)
    body = alice_client.get(reverse("portal:order_detail", args=[order_a.pk])).content.decode()
    assert "alert(1)" not in body


def test_the_parser_keeps_only_web_image_urls():
    from stores.connector.xmlparse.export import _web_url

    assert _web_url("https://cdn.example.com/a.png") == "https://cdn.example.com/a.png"
    assert _web_url("javascript:alert(1)") == "" and _web_url("data:image/png;base64,AAA") == ""


def test_one_password_sprayed_over_many_usernames_from_one_ip_is_locked_out(client, settings, db):
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    factories.make_user("victim", password=PASSWORD)
    for n in range(8):  # one failure per username: the (username, IP) limit of 5 is never reached
        client.post(reverse("login"), {"username": f"user{n}", "password": "Spring2026!"})
    response = client.post(reverse("login"), {"username": "victim", "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_a_few_failures_from_one_ip_do_not_lock_other_users_out(client, settings, db):
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    factories.make_user("victim", password=PASSWORD)
    for n in range(4):
        client.post(reverse("login"), {"username": f"user{n}", "password": "Spring2026!"})
    response = client.post(reverse("login"), {"username": "victim", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
