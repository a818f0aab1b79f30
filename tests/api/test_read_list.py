"""`api.base.ReadListSerializer` writes every list exactly as DRF's own ListSerializer would.

Every model serializer of the API is compared with DRF's stock path on the same rows: orders with every
field filled and with the empty ones, their lines, shipments, stores, products, import runs; under UTC and
under another current time zone (DRF writes date-times in the current zone); and the order list's
`.only()` rows the API reads.
"""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request

from api import serializers as api_serializers
from api.base import ModelSerializer, ReadListSerializer
from orders.models import Order
from tests.factories import make_detailed_order, make_order, make_product, make_shipment

pytestmark = pytest.mark.django_db


def model_serializers():
    return [
        cls
        for _name, cls in inspect.getmembers(api_serializers, inspect.isclass)
        if issubclass(cls, ModelSerializer) and cls is not ModelSerializer and getattr(cls.Meta, "model", None)
    ]


@pytest.fixture
def rows(store_a, store_b):
    detailed = make_detailed_order(store_a, total_weight=Decimal("2.125"), weight_unit="Pounds")
    make_order(store_a, lines=2, order_total=Decimal("0"), email="", storefront=None)
    odd = make_order(store_b, modified_at=timezone.now().replace(microsecond=0))
    Order.objects.filter(pk=odd.pk).update(total_weight=None, order_date=dt.datetime(2026, 3, 8, 7, 59, tzinfo=dt.UTC))
    make_shipment(detailed, carrier="UPS", tracking_number="1Z999AA10123456784", carrier_fee=Decimal("8.5"))
    make_product(store_a, "MUG-RED")
    return detailed


def both(cls, instances, context):
    stock = serializers.ListSerializer(child=cls(context=context), context=context).data
    fast = ReadListSerializer(child=cls(context=context), context=context).data
    return list(stock), list(fast)


def test_every_model_serializer_of_the_api_lists_by_the_fast_path():
    for cls in model_serializers():
        assert cls.Meta.list_serializer_class is ReadListSerializer or "list_serializer_class" in vars(cls.Meta), cls
        assert isinstance(cls(many=True), ReadListSerializer), cls


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago"])
def test_the_same_json_as_drf_for_every_serializer(rows, alice, zone):
    request = Request(RequestFactory().get("/api/v1/orders/"))
    request.user = alice
    context = {"request": request}
    compared = 0
    with timezone.override(zone):
        for cls in model_serializers():
            instances = list(cls.Meta.model.objects.all())
            if not instances:
                continue
            try:
                stock = serializers.ListSerializer(instances, child=cls(context=context), context=context).data
            except Exception:  # noqa: BLE001 - a serializer that needs more context than a list gives
                continue
            fast = ReadListSerializer(instances, child=cls(context=context), context=context).data
            assert list(fast) == list(stock), cls.__name__
            compared += 1
    assert compared >= 5


def test_the_order_list_rows_the_api_reads(rows):
    instances = list(Order.objects.only(*api_serializers.ORDER_LIST_COLUMNS))
    stock = serializers.ListSerializer(instances, child=api_serializers.OrderListSerializer()).data
    fast = ReadListSerializer(instances, child=api_serializers.OrderListSerializer()).data
    assert list(fast) == list(stock)
    assert {row["partially_shipped"] for row in fast} == {False}
    assert any(row["total_weight"] is None for row in fast)
    assert any(row["storefront"] is None for row in fast)


def test_a_serializer_that_writes_its_own_rows_is_left_to_drf(rows):
    class Shouting(api_serializers.OrderListSerializer):
        def to_representation(self, instance):
            return {"number": instance.number.upper()}

    data = ReadListSerializer(list(Order.objects.all()), child=Shouting()).data
    assert all(set(row) == {"number"} for row in data)


def test_the_order_list_answers_what_drf_would(api_a, rows, store_a, monkeypatch):
    fast = api_a.get("/api/v1/orders/").json()
    monkeypatch.setattr(ReadListSerializer, "to_representation", serializers.ListSerializer.to_representation)
    stock = api_a.get("/api/v1/orders/").json()
    assert fast == stock
    assert fast["results"]
