"""The picture of the day, /api/v1/insights/ (tenant-scoped like every view)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from orders.insights import insights
from stores.models import Store

from . import serializers_reports as sr
from .base import ErrorSerializer, TenantViewSetMixin


class InsightsView(TenantViewSetMixin, generics.GenericAPIView):
    """The dashboard's picture of the day: the tenant's orders (or one store's), read through the tenant scope."""

    model = Store
    serializer_class = sr.InsightsSerializer
    pagination_class = None
    filter_backends = []
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="Read the picture of the day",
        tags=["insights"],
        responses={200: sr.InsightsSerializer, 404: OpenApiResponse(ErrorSerializer, description="No such store.")},
        parameters=[OpenApiParameter("store", int, description="Limit the figures to one of your stores.")],
        description="Orders received and shipped per day for the last 30 days, orders awaiting shipment by "
        "age (today, 1-2 days, 3 days or more: late), and the median ship time (order date to first "
        "shipment, in hours) per week for the last 8 weeks, and the label spend of the last 30 days (labels "
        "bought and not voided, per day, carrier and store; voided ones apart). Days are local days of the "
        "server's time zone.",
    )
    def get(self, request):
        store_id = request.query_params.get("store")
        if store_id not in (None, ""):
            # The store must be one of the caller's (the tenant-scoped queryset): another tenant's is "not found".
            store_id = get_object_or_404(
                self.get_queryset(),
                pk=int(store_id) if store_id.isascii() and store_id.isdigit() and len(store_id) <= 18 else -1,
            ).pk
        else:
            store_id = None
        data = insights(tenant=request.tenant, store_id=store_id)
        body = {
            "today": data.today,
            "store": store_id,
            "days": [{"day": d.day, "received": d.received, "shipped": d.shipped} for d in data.days],
            "waiting": {
                "today": data.waiting.today,
                "one_to_two_days": data.waiting.one_to_two_days,
                "three_days_or_more": data.waiting.three_days_or_more,
                "total": data.waiting.total,
            },
            "weeks": [
                {"week_start": w.week_start, "orders": w.orders, "median_hours": w.median_hours} for w in data.weeks
            ],
            "label_spend": {
                "total": [_spend(s) for s in data.spend.totals],
                "per_day": [_spend(s, "day") for s in data.spend.per_day],
                "per_carrier": [_spend(s, "carrier") for s in data.spend.per_carrier],
                "per_store": [_spend(s, "store") for s in data.spend.per_store],
            },
        }
        return Response(sr.InsightsSerializer(body).data)


def _spend(spend, key: str | None = None) -> dict:
    body = {
        "currency": spend.currency,
        "labels": spend.labels,
        "amount": spend.amount,
        "voided_labels": spend.voided_labels,
        "voided_amount": spend.voided_amount,
    }
    if key:
        body[key] = spend.key
    return body
