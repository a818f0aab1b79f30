import pytest

from orders.models import ImportRun
from tests.factories import make_product


@pytest.fixture
def product_a(store_a):
    return make_product(store_a)


@pytest.fixture
def run_a(store_a):
    return ImportRun.objects.create(
        store=store_a, state="running", pages_done=3, pages_total=4, orders_seen=300, skipped={"no_ship_to": 2}
    )


def test_products_list_only_the_tenants(api_a, api_b, product_a, store_b):
    make_product(store_b, sku="B-1")
    assert [row["sku"] for row in api_a.get("/api/v1/products/").json()["results"]] == ["SKU-1"]


def test_setting_a_location_marks_it_set_in_outbound(api_a, product_a):
    response = api_a.patch(f"/api/v1/products/{product_a.pk}/", {"warehouse_location": "A-1"}, format="json")
    assert response.status_code == 200
    assert response.json()["warehouse_location"] == "A-1" and response.json()["location_set_in_outbound"]


def test_weight_is_edited(api_a, product_a):
    response = api_a.patch(f"/api/v1/products/{product_a.pk}/", {"weight": "1.250"}, format="json")
    product_a.refresh_from_db()
    assert response.status_code == 200 and str(product_a.weight) == "1.250"
    assert not product_a.location_set_in_outbound


def test_negative_weight_is_a_400(api_a, product_a):
    assert api_a.patch(f"/api/v1/products/{product_a.pk}/", {"weight": "-1"}, format="json").status_code == 400


@pytest.mark.parametrize("method", ["get", "patch"])
def test_product_outsider_gets_404(api_b, product_a, method):
    assert getattr(api_b, method)(f"/api/v1/products/{product_a.pk}/", {}, format="json").status_code == 404


def test_product_read_only_key_cannot_write(api_a_read, product_a):
    response = api_a_read.patch(f"/api/v1/products/{product_a.pk}/", {"warehouse_location": "Z"}, format="json")
    assert response.status_code == 403
    product_a.refresh_from_db()
    assert product_a.warehouse_location == ""


def test_import_run_shows_progress(api_a, run_a):
    body = api_a.get(f"/api/v1/import-runs/{run_a.pk}/").json()
    assert (body["pages_done"], body["pages_total"], body["progress_percent"]) == (3, 4, 75)
    assert body["skipped"] == {"no_ship_to": 2} and body["state"] == "running"


def test_import_runs_filter_by_store(api_a, run_a, store_a):
    assert len(api_a.get(f"/api/v1/import-runs/?store={store_a.pk}").json()["results"]) == 1


def test_import_run_outsider_gets_404(api_b, run_a):
    assert api_b.get(f"/api/v1/import-runs/{run_a.pk}/").status_code == 404
    assert api_b.get("/api/v1/import-runs/").json()["results"] == []


def test_import_runs_are_read_only(api_a, run_a):
    assert api_a.post("/api/v1/import-runs/", {}, format="json").status_code == 405
