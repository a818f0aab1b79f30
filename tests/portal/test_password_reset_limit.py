"""Password reset is limited per address and per client address (issue 25, item 37): 25 e-mails in
4 seconds to one address, or a client spraying many addresses, are refused."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_one_address_gets_a_few_reset_mails_then_none(client, settings, db):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    factories.make_user("victim", password="pw-x")
    for n in range(25):
        response = client.post(
            reverse("password_reset"), {"email": "Victim@Example.com"}, REMOTE_ADDR=f"198.51.100.{n}"
        )
        assert response.status_code == 302  # the page never tells whether anything was sent
    assert len(mail.outbox) == 3


def test_one_client_spraying_addresses_is_refused(client, settings, db):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 5
    for n in range(5):
        factories.make_user(f"user{n}", password="pw-x")
    codes = [
        client.post(reverse("password_reset"), {"email": f"user{n % 5}@example.com"}).status_code for n in range(8)
    ]
    assert codes == [302] * 5 + [429] * 3
    assert len(mail.outbox) == 5
    other = client.post(reverse("password_reset"), {"email": "user0@example.com"}, REMOTE_ADDR="198.51.100.77")
    assert other.status_code == 302 and len(mail.outbox) == 6
