import hashlib

from django.core.cache import cache
from rest_framework.test import APIClient

from api.models import ApiKey
from api.plumbing import ApiKeyRateThrottle
from api.services import api_key_create, api_key_revoke
from tests.api.conftest import bearer


def test_key_is_stored_hashed_with_a_visible_prefix(tenant_a, alice):
    key, plaintext = api_key_create(tenant=tenant_a, name="erp", read_only=False, user=alice)
    assert plaintext.startswith("ob_live_") and key.prefix == plaintext[:16]
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert not ApiKey.objects.filter(key_hash=plaintext).exists()


def test_read_only_key_has_its_own_prefix(tenant_a, alice):
    _, plaintext = api_key_create(tenant=tenant_a, name="bi", read_only=True, user=alice)
    assert plaintext.startswith("ob_read_")


def test_bearer_key_reads_its_tenant(api_a, store_a, store_b):
    response = api_a.get("/api/v1/stores/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [store_a.pk]


def test_revoked_key_is_refused(tenant_a, alice):
    key, plaintext = api_key_create(tenant=tenant_a, name="old", read_only=False, user=alice)
    api_key_revoke(api_key=key)
    response = bearer(plaintext).get("/api/v1/stores/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_no_credentials_get_401_in_the_error_format(db):
    response = APIClient().get("/api/v1/orders/")
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_a_made_up_key_is_refused(db):
    assert bearer("ob_live_notarealkeyatall").get("/api/v1/orders/").status_code == 401


def test_last_used_is_recorded(tenant_a, alice):
    key, plaintext = api_key_create(tenant=tenant_a, name="erp", read_only=False, user=alice)
    bearer(plaintext).get("/api/v1/stores/")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_session_of_a_single_membership_user_works(client, alice, store_a):
    client.force_login(alice)
    assert client.get("/api/v1/stores/").json()["results"][0]["id"] == store_a.pk


def test_viewer_session_can_read_but_not_write(client, bob, order_a):
    client.force_login(bob)
    assert client.get(f"/api/v1/orders/{order_a.pk}/").status_code == 200
    response = client.post(f"/api/v1/orders/{order_a.pk}/hold/", {}, content_type="application/json")
    assert response.status_code == 403


def test_session_with_several_tenants_must_choose(client, alice, tenant_b, store_b):
    from stores.models import Membership, Role

    Membership.objects.create(tenant=tenant_b, user=alice, role=Role.MEMBER)
    client.force_login(alice)
    assert client.get("/api/v1/stores/").status_code == 403
    session = client.session
    session["tenant_id"] = tenant_b.pk
    session.save()
    assert client.get("/api/v1/stores/").json()["results"][0]["id"] == store_b.pk


def test_throttling_is_per_key(api_a, api_b, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/min"})
    cache.clear()
    assert api_a.get("/api/v1/stores/").status_code == 200
    assert api_a.get("/api/v1/stores/").status_code == 200
    third = api_a.get("/api/v1/stores/")
    assert third.status_code == 429 and third.json()["error"]["code"] == "throttled"
    assert api_b.get("/api/v1/stores/").status_code == 200


def test_a_view_cannot_replace_the_tenant_scoped_queryset():
    import pytest

    from api.base import TenantViewSetMixin

    with pytest.raises(TypeError):
        type("Leaky", (TenantViewSetMixin,), {"get_queryset": lambda self: None})


def test_not_found_uses_the_error_format(api_a):
    body = api_a.get("/api/v1/orders/999999/").json()
    assert body == {"error": {"code": "not_found", "message": body["error"]["message"], "details": {}}}
