import pytest

from orders.models import ImportRun
from stores.models import Store
from tests import factories

STORE = {"name": "New", "url": "https://new.example.com", "username": "ss", "password": "pw-1"}


def test_create_store_never_returns_the_password(api_a, tenant_a):
    response = api_a.post("/api/v1/stores/", STORE, format="json")
    assert response.status_code == 201, response.json()
    assert "password" not in response.json() and response.json()["has_password"]
    store = Store.objects.get(pk=response.json()["id"])
    assert store.tenant == tenant_a and store.get_password() == "pw-1" and "pw-1" not in str(store.secret_documents)


def test_create_store_requires_a_password(api_a):
    response = api_a.post("/api/v1/stores/", {**STORE, "password": ""}, format="json")
    assert response.status_code == 400 and "password" in response.json()["error"]["details"]


def test_store_url_is_checked(api_a, settings):
    settings.ALLOW_PRIVATE_STORE_HOSTS = False
    response = api_a.post("/api/v1/stores/", {**STORE, "url": "http://127.0.0.1/"}, format="json")
    assert response.status_code == 400 and "url" in response.json()["error"]["details"]


def test_update_store_and_password(api_a, store_a):
    response = api_a.patch(f"/api/v1/stores/{store_a.pk}/", {"name": "Renamed", "password": "new"}, format="json")
    assert response.status_code == 200
    store_a.refresh_from_db()
    assert store_a.name == "Renamed" and store_a.get_password() == "new"


def test_deactivate_store(api_a, store_a):
    assert api_a.post(f"/api/v1/stores/{store_a.pk}/deactivate/").json()["is_active"] is False


def test_refresh_returns_the_import_run(api_a, store_a, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    response = api_a.post(f"/api/v1/stores/{store_a.pk}/refresh/")
    assert response.status_code == 202
    run = ImportRun.objects.get(pk=response.json()["id"])
    assert run.store == store_a and run.trigger == "api"


def test_reconcile_queues_a_sweep_and_returns_its_run(api_a, store_a, monkeypatch):
    monkeypatch.setattr("orders.services.enqueue_import", lambda run_id: None)
    response = api_a.post(f"/api/v1/stores/{store_a.pk}/reconcile/")
    assert response.status_code == 202
    body = response.json()
    assert body["trigger"] == "reconcile" and body["recovered"] == []
    run = ImportRun.objects.get(pk=body["id"])
    assert run.store == store_a and run.trigger == "reconcile"
    # A second call while it is queued gets the same run back.
    assert api_a.post(f"/api/v1/stores/{store_a.pk}/reconcile/").json()["id"] == run.pk


def test_reconcile_settings_are_editable_and_checked(api_a, store_a):
    url = f"/api/v1/stores/{store_a.pk}/"
    body = api_a.get(url).json()
    assert (body["reconcile_every_hours"], body["reconcile_days"], body["orders_recovered"]) == (24, 30, 0)
    assert api_a.patch(url, {"reconcile_every_hours": 6, "reconcile_days": 7}, format="json").status_code == 200
    store_a.refresh_from_db()
    assert (store_a.reconcile_every_hours, store_a.reconcile_days) == (6, 7)
    assert api_a.patch(url, {"reconcile_days": 0}, format="json").status_code == 400
    assert api_a.patch(url, {"orders_recovered": 5}, format="json").status_code == 200
    store_a.refresh_from_db()
    assert (store_a.reconcile_days, factories.import_state(store_a).orders_recovered) == (7, 0)


def test_test_connection_reports_the_outcome(api_a, tenant_a, sandbox):
    from tests.factories import make_store

    store = make_store(
        tenant_a,
        url=sandbox.base_url,
        username=sandbox.username,
        password="wrong-password",
        endpoint_path=sandbox.endpoint_url[len(sandbox.base_url) :],
    )
    body = api_a.post(f"/api/v1/stores/{store.pk}/test-connection/").json()
    assert body["ok"] is False and body["outcome"] == "bad_credentials"


def test_status_mapping_read_and_update(api_a, store_a):
    url = f"/api/v1/stores/{store_a.pk}/status-mapping/"
    assert "awaiting_shipment" in api_a.get(url).json()
    response = api_a.patch(url, {"on_hold": "Hold, Fraud Review"}, format="json")
    assert response.status_code == 200 and response.json()["on_hold"] == "Hold, Fraud Review"


def test_status_mapping_refuses_a_status_in_two_lists(api_a, store_a):
    mapping = store_a.status_mapping
    taken = mapping.awaiting_shipment.split(",")[0].strip()
    url = f"/api/v1/stores/{store_a.pk}/status-mapping/"
    response = api_a.patch(url, {"on_hold": taken}, format="json")
    assert response.status_code == 400
    mapping.refresh_from_db()
    assert taken not in mapping.on_hold


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", ""),
        ("patch", ""),
        ("put", ""),
        ("post", "deactivate/"),
        ("post", "test-connection/"),
        ("post", "refresh/"),
        ("get", "status-mapping/"),
        ("patch", "status-mapping/"),
        ("post", "reconcile/"),
    ],
)
def test_outsider_gets_404(api_b, store_a, method, suffix):
    response = getattr(api_b, method)(f"/api/v1/stores/{store_a.pk}/{suffix}", {}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("patch", ""),
        ("post", "deactivate/"),
        ("post", "test-connection/"),
        ("post", "refresh/"),
        ("patch", "status-mapping/"),
        ("post", "reconcile/"),
    ],
)
def test_read_only_key_cannot_write(api_a_read, store_a, method, suffix):
    response = getattr(api_a_read, method)(f"/api/v1/stores/{store_a.pk}/{suffix}", {"name": "x"}, format="json")
    assert response.status_code == 403
    store_a.refresh_from_db()
    assert store_a.is_active and store_a.name == "Acme Main"


def test_read_only_key_cannot_create_a_store(api_a_read, tenant_a):
    assert api_a_read.post("/api/v1/stores/", STORE, format="json").status_code == 403
    assert not Store.objects.filter(name="New").exists()


def test_member_cannot_manage_stores(client, tenant_a, store_a):
    from stores.models import Role
    from tests.factories import make_member, make_user

    mo = make_user("mo")
    make_member(tenant_a, mo, Role.MEMBER)
    client.force_login(mo)
    response = client.post(f"/api/v1/stores/{store_a.pk}/deactivate/")
    assert response.status_code == 403


def test_a_store_shows_its_real_time_and_last_check(api_a, store_a, settings):
    from django.utils import timezone

    from hooks.models import HookStats
    from stores.models import Road

    body = api_a.get(f"/api/v1/stores/{store_a.pk}/").json()
    assert body["realtime"]["on"] is False and "REST" in body["realtime"]["reason"]
    assert body["realtime"]["last_event_at"] is None and "last_checked_at" in body
    settings.PUBLIC_BASE_URL = "https://outbound.example.com"
    Store.objects.filter(pk=store_a.pk).update(road=Road.REST)
    factories.import_state_set(store_a, last_checked_at=timezone.now())
    factories.realtime_set(store_a, token_hash="f" * 64, subscription_ids=[1])
    HookStats.objects.create(store=store_a, last_event_at=timezone.now())
    body = api_a.get(f"/api/v1/stores/{store_a.pk}/").json()
    assert body["realtime"]["on"] is True and body["realtime"]["reason"] == ""
    assert body["realtime"]["last_event_at"] and body["last_checked_at"]


def test_the_store_list_reads_real_time_without_a_query_per_store(api_a, tenant_a, store_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_store

    api_a.get("/api/v1/stores/")  # the key's first use of the day writes its last-used date
    with CaptureQueriesContext(connection) as one:
        assert len(api_a.get("/api/v1/stores/").json()["results"]) == 1
    for i in range(5):
        make_store(tenant_a, name=f"Outlet {i}")
    with CaptureQueriesContext(connection) as six:
        assert len(api_a.get("/api/v1/stores/").json()["results"]) == 6
    assert len(six) == len(one)


def test_a_store_connected_already_is_refused_by_either_road(api_a, store_a, tenant_b, store_b):
    """Issue 25 item 5: the same site (another scheme, www., a trailing slash) cannot be connected twice in a
    tenant; the answer names the store already connected. Another tenant's store is no concern of this one."""
    twice = {**STORE, "url": "http://www.shop.example.com/"}
    response = api_a.post("/api/v1/stores/", twice, format="json")
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert "already connected" in details["url"][0] and details["existing_store"] == [f"/api/v1/stores/{store_a.pk}/"]
    rest = {"name": "Twice", "url": "https://shop.example.com", "road": "rest", "api_token": "t"}
    assert api_a.post("/api/v1/stores/", rest, format="json").status_code == 400
    other = Store.objects.create(tenant=store_a.tenant, name="Other", url="https://other.example.com")
    assert (
        api_a.patch(f"/api/v1/stores/{other.pk}/", {"url": "https://shop.example.com"}, format="json").status_code
        == 400
    )
    assert Store.objects.for_tenant(store_a.tenant).count() == 2


def test_a_disconnected_store_is_not_imported_through_the_api_either(api_a, store_a):
    """Issue 25, item 5: a disconnected store's imports stop at every entry point, not only the portal's."""
    from stores.services import store_disconnect

    store_disconnect(store=store_a)
    for action in ("refresh", "reconcile"):
        response = api_a.post(f"/api/v1/stores/{store_a.pk}/{action}/")
        assert response.status_code == 400 and "disconnected" in response.content.decode(), action
    assert not store_a.import_runs.exists()
