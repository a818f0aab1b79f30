"""Issue 32: a product's barcodes through the API: read with the product, replaced by PATCH, refused when
another product of the store has the code; an outsider neither reads nor writes them."""

import pytest

from packing.models import ProductBarcode
from tests.factories import make_product


@pytest.fixture
def product_a(store_a):
    return make_product(store_a)


def test_barcodes_are_read_and_replaced(api_a, product_a, store_a):
    url = f"/api/v1/products/{product_a.pk}/"
    assert api_a.get(url).json()["barcodes"] == []
    response = api_a.patch(url, {"barcodes": ["5012345678900", " 0012345678905 "]}, format="json")
    assert response.status_code == 200 and response.json()["barcodes"] == ["0012345678905", "5012345678900"]
    response = api_a.patch(url, {"barcodes": ["0012345678905"]}, format="json")
    assert response.json()["barcodes"] == ["0012345678905"]
    assert [row["barcodes"] for row in api_a.get("/api/v1/products/").json()["results"]] == [["0012345678905"]]
    # Another product's code, or its SKU: refused with a 400, nothing changed.
    other = make_product(store_a, sku="OTHER-1")
    response = api_a.patch(f"/api/v1/products/{other.pk}/", {"barcodes": ["0012345678905"]}, format="json")
    assert response.status_code == 400 and "belongs to product SKU-1" in str(response.json())
    response = api_a.patch(f"/api/v1/products/{other.pk}/", {"barcodes": ["sku-1"]}, format="json")
    assert response.status_code == 400
    assert ProductBarcode.objects.filter(product=other).count() == 0


def test_an_outsider_cannot_set_barcodes(api_b, product_a):
    response = api_b.patch(f"/api/v1/products/{product_a.pk}/", {"barcodes": ["EVIL"]}, format="json")
    assert response.status_code == 404 and ProductBarcode.objects.count() == 0


def test_a_read_only_key_cannot_set_barcodes(api_a_read, product_a):
    response = api_a_read.patch(f"/api/v1/products/{product_a.pk}/", {"barcodes": ["X"]}, format="json")
    assert response.status_code == 403 and ProductBarcode.objects.count() == 0
