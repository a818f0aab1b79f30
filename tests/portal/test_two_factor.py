"""Issue 31 part 5: two-factor sign-in with django-otp, tested with real TOTP codes computed from the device's
key (django_otp.oath.totp), never a bypass: enrolment (QR code, manual key, a code to confirm, ten recovery
codes shown once); the code after the password; recovery codes work once each; a tenant owner requires it for
the team and nobody of that team opens a portal page before enrolling; API keys are unaffected; a tenant that
does not require it signs in exactly as before."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from api.services import api_key_create
from audit.models import AuditEntry
from portal.models import TwoFactorPolicy
from portal.twofactor.services import recovery_codes_make
from tests.api.conftest import bearer
from tests.conftest import PASSWORD
from tests.factories import make_totp_device, totp_code

VERIFY = reverse("portal:two_factor_verify")
SETUP = reverse("portal:two_factor_setup")


def password_sign_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the password step"
    return client


def test_a_tenant_that_does_not_require_it_signs_in_as_before(charlie):
    client = password_sign_in("charlie")
    assert client.get(reverse("portal:dashboard")).status_code == 200
    assert client.get(reverse("portal:order_list")).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_enrolment_shows_a_qr_code_and_a_key_then_confirms_with_a_real_code(alice):
    client = password_sign_in("alice")
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert "<svg" in page and "<img" not in page.split('class="qr-code"')[1].split("</div>")[0]
    key = re.search(r'id="manual-key">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    assert key == __import__("base64").b32encode(device.bin_key).decode()
    assert client.get(SETUP).content.decode().count(key[:4]) >= 1  # a reload keeps the same key
    assert TOTPDevice.objects.filter(user=alice).count() == 1

    response = client.post(SETUP, {"code": totp_code(device), "next": "/orders/"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:two_factor_recovery_codes")
    shown = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/orders/"' in shown
    again = client.get(reverse("portal:two_factor_recovery_codes")).content.decode()
    assert not any(code in again for code in codes)  # shown once
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True)) == sorted(codes)
    assert AuditEntry.objects.filter(action="two_factor.enabled", actor_name="alice").count() == 1
    # This session passed its second factor while enrolling: the portal is open.
    assert client.get(reverse("portal:order_list")).status_code == 200


def test_a_wrong_code_does_not_confirm_enrolment(alice):
    client = password_sign_in("alice")
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=alice)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    page = client.post(SETUP, {"code": wrong}).content.decode()
    assert "That code is not right" in page
    device.refresh_from_db()
    assert not device.confirmed and not StaticToken.objects.exists()


def test_sign_in_asks_for_the_code_after_the_password(alice):
    device = make_totp_device(alice)
    client = password_sign_in("alice")
    for name in ("portal:dashboard", "portal:order_list", "portal:audit_log"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), name
    assert client.get(reverse("portal:order_list"), follow=True).redirect_chain[-1][0].startswith(VERIFY)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    assert "That code is not right" in client.post(VERIFY, {"code": wrong, "next": "/orders/"}).content.decode()
    assert client.get(reverse("portal:order_list")).status_code == 302


def test_the_right_code_opens_the_portal_where_it_was_going(alice):
    device = make_totp_device(alice)
    client = password_sign_in("alice")
    code = totp_code(device)
    response = client.post(VERIFY, {"code": code, "next": "/orders/"})
    assert response.status_code == 302 and response["Location"] == "/orders/"
    assert client.get(reverse("portal:order_list")).status_code == 200
    # A code is good once: another session cannot replay it (the same code: one read again after a 30-second
    # step had turned would be the next, valid code).
    other = password_sign_in("alice")
    assert other.post(VERIFY, {"code": code}).status_code == 200
    assert other.get(reverse("portal:order_list")).status_code == 302


def test_an_outside_next_is_not_followed(alice):
    device = make_totp_device(alice)
    client = password_sign_in("alice")
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example.com/"})
    assert response["Location"] == "/"


def test_recovery_codes_work_once_each(alice):
    make_totp_device(alice)
    first, second = recovery_codes_make(user=alice)[:2]
    client = password_sign_in("alice")
    assert client.post(VERIFY, {"code": first.upper()}).status_code == 302
    assert client.get(reverse("portal:order_list")).status_code == 200
    client.post(reverse("logout"))

    client = password_sign_in("alice")
    assert client.post(VERIFY, {"code": second}).status_code == 302
    client.post(reverse("logout"))

    client = password_sign_in("alice")
    page = client.post(VERIFY, {"code": first}).content.decode()
    assert "That code is not right" in page
    assert client.get(reverse("portal:order_list")).status_code == 302
    assert StaticToken.objects.filter(device__user=alice).count() == 8
    used = AuditEntry.objects.filter(action="two_factor.recovery_code_used", actor_name="alice").order_by("id")
    assert [e.after for e in used] == [{"codes_left": 9}, {"codes_left": 8}]


def test_new_recovery_codes_replace_the_old_ones(alice):
    device = make_totp_device(alice)
    old = recovery_codes_make(user=alice)
    client = password_sign_in("alice")
    client.post(VERIFY, {"code": totp_code(device)})
    assert "10 recovery codes left" in client.get(SETUP).content.decode()
    response = client.post(SETUP)
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", client.get(response["Location"]).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=alice).values_list("token", flat=True)) == set(new)


# --- a tenant that requires it ------------------------------------------------------------------------


@pytest.fixture
def required(alice, tenant_a):
    """Alice (owner, enrolled) requires two-factor sign-in for tenant A's team, through the portal."""
    device = make_totp_device(alice)
    client = password_sign_in("alice")
    client.post(VERIFY, {"code": totp_code(device)})
    response = client.post(reverse("portal:two_factor_policy"), {"required": "on"})
    assert response.status_code == 302
    assert TwoFactorPolicy.objects.get(tenant=tenant_a).required
    return client


def test_an_owner_requires_it_and_the_change_is_in_the_audit_trail(required, tenant_a):
    [entry] = AuditEntry.objects.for_tenant(tenant_a).filter(action="two_factor.required_changed")
    assert (entry.actor_name, entry.before, entry.after) == ("alice", {"required": False}, {"required": True})
    page = required.get(reverse("portal:users")).content.decode()
    assert 'id="id_two_factor_required" aria-describedby="two-factor-help" checked' in page


def test_a_member_of_a_tenant_that_requires_it_opens_no_portal_page_until_enrolled(required, bob, tenant_a):
    client = password_sign_in("bob")
    for name in ("portal:dashboard", "portal:order_list", "portal:store_list", "portal:audit_log"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(SETUP), name
    assert client.post(reverse("portal:tenant_switch"), {"tenant_id": tenant_a.pk}).status_code == 302
    # The API's session road is closed to it as well; the language switch and sign-out stay open.
    assert client.get("/api/v1/orders/").status_code in (401, 403)
    assert client.post(reverse("set_language"), {"language": "fr", "next": "/"}).status_code == 302

    page = client.get(SETUP).content.decode()
    assert "Votre espace exige un second facteur" in page  # in the language just chosen
    device = TOTPDevice.objects.get(user=bob, confirmed=False)
    client.post(SETUP, {"code": totp_code(device)})
    assert client.get(reverse("portal:order_list")).status_code == 200


def test_the_requirement_holds_at_the_next_sign_in_too(required, bob):
    device = make_totp_device(bob)
    client = password_sign_in("bob")
    assert client.get(reverse("portal:dashboard"))["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": totp_code(device)})
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_api_keys_are_unaffected(required, tenant_a, bob):
    _key, plaintext = api_key_create(tenant=tenant_a, name="WMS", read_only=True)
    assert bearer(plaintext).get("/api/v1/orders/").status_code == 200


def test_lifting_the_requirement_lets_the_team_in_again(required, bob):
    required.post(reverse("portal:two_factor_policy"), {})
    client = password_sign_in("bob")
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_only_an_owner_sets_the_requirement(bob, tenant_a):
    client = password_sign_in("bob")
    assert client.post(reverse("portal:two_factor_policy"), {"required": "on"}).status_code == 403
    assert not TwoFactorPolicy.objects.filter(tenant=tenant_a, required=True).exists()
