"""Behind the README's TLS proxy every request comes from the proxy: the sign-in lock-out must key on the
client's address the trusted proxy saw, or one attacker locks everyone out (issue 25, item 31)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory
from django.urls import reverse

from config.client_ip import client_ip
from tests import factories
from tests.conftest import PASSWORD

PROXY = "10.0.0.5"


def _request(xff=None):
    meta = {"REMOTE_ADDR": PROXY}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    "count, xff, expected",
    [
        (0, "198.51.100.9", PROXY),  # no trusted proxy: the header is the client's own words
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # a forged left part is ignored
        (2, "6.6.6.6, 198.51.100.9, 10.0.0.4", "198.51.100.9"),
        (1, "", PROXY),  # a shorter header than promised: the proxy itself
        (1, "not-an-address", PROXY),
        (1, "[2001:db8::7]:443", "2001:db8::7"),
    ],
)
def test_the_client_is_the_address_the_trusted_proxy_saw(settings, count, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(xff)) == expected


def test_behind_the_proxy_one_attackers_failures_do_not_lock_others_out(client, settings, db):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_IP_FAILURE_LIMIT = 8
    factories.make_user("victim", password=PASSWORD)
    for n in range(12):  # the attacker sprays past both limits, through the proxy
        client.post(
            reverse("login"),
            {"username": f"user{n % 2}", "password": "Spring2026!"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    locked = client.post(
        reverse("login"),
        {"username": "victim", "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    assert locked.status_code == 429
    response = client.post(
        reverse("login"),
        {"username": "victim", "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_the_deploy_check_warns_behind_a_proxy_without_a_trusted_count(settings):
    settings.BEHIND_TLS_PROXY, settings.TRUSTED_PROXY_COUNT = True, 0
    with pytest.raises(SystemCheckError, match="TRUSTED_PROXY_COUNT"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    settings.TRUSTED_PROXY_COUNT = 1
    from stores.checks import check_trusted_proxy

    assert check_trusted_proxy() == []
