"""Issue 31 part 5: an operator opens the admin only after a second factor: without an authenticator they are
sent to enrol, with one to the code; the admin's own check (OperatorAdminSite.has_permission) refuses a session
that did not pass it. Real codes (django_otp.oath.totp), never a bypass."""

from __future__ import annotations

from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.admin import OperatorAdminSite
from tests.conftest import PASSWORD
from tests.factories import make_totp_device, operator_sign_in, totp_code

SETUP = reverse("portal:two_factor_setup")
VERIFY = reverse("portal:two_factor_verify")


def _admin_sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_an_operator_without_a_second_factor_cannot_open_the_admin(operator, store_a):
    client = _admin_sign_in("operator")
    for url in ("/admin/", "/admin/stores/store/", f"/admin/stores/store/{store_a.pk}/change/", "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), url
    response = client.post(f"/admin/stores/store/{store_a.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    assert type(store_a).objects.filter(pk=store_a.pk).exists()


def test_the_admin_site_itself_refuses_a_session_without_a_second_factor(operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    request.user.is_verified = lambda: False  # as django-otp's middleware sets it for such a session
    assert OperatorAdminSite().has_permission(request) is False
    request.user.is_verified = lambda: True
    assert OperatorAdminSite().has_permission(request) is True


def test_an_operator_enrols_then_opens_the_admin(operator):
    client = _admin_sign_in("operator")
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)
    assert "Operators sign in to the admin with a second factor" in response.content.decode()
    device = TOTPDevice.objects.get(user=operator, confirmed=False)
    confirmed = client.post(SETUP, {"code": totp_code(device), "next": "/admin/"})
    assert confirmed.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_operator_with_a_device_gives_its_code_after_the_password(operator):
    device = make_totp_device(operator)
    client = _admin_sign_in("operator")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": "000000" if totp_code(device) != "000000" else "111111"}).status_code == 200
    assert client.get("/admin/").status_code == 302
    # A failure slows the device down (django-otp's throttle): the next code comes from a device made since.
    device = make_totp_device(operator)
    assert client.post(VERIFY, {"code": totp_code(device), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_test_operators_sign_in_with_a_real_code(client, operator):
    operator_sign_in(client, operator)
    assert client.get("/admin/").status_code == 200
    assert "otp_device_id" in client.session
