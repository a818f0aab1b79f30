"""The REST API, /api/v1/. Every view scopes to request.tenant through TenantViewSetMixin."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from orders.models import ImportRun, Order, Product
from orders.rules.services import product_defaults_set
from orders.services import (
    import_request,
    order_set_hold,
    order_set_notes,
    product_update,
    reconcile_request,
    status_mapping_update,
)
from packing.services import barcodes_set
from shipments.models import Shipment, ShipmentLine
from shipments.services import shipment_create, shipment_mark_delivered, shipment_void, store_update_retry
from stores.connector.errors import StoreError
from stores.models import RestAuth, Road, Store
from stores.services import store_create, store_deactivate, store_update

from . import serializers as s
from . import serializers_integration as si
from . import serializers_reports as sr
from . import serializers_rules as srules
from . import views_labels as vl
from .auth import caller_label, caller_user
from .base import ApiViewSet, IdempotentMixin
from .filters import ImportRunFilter, OrderFilter, ProductFilter, ShipmentFilter
from .plumbing import KeysetPagination
from .views_rules import OrderChoicesActions

PRODUCT_DEFAULT_FIELDS = ("default_shipping_preset", "hs_code", "country_of_origin", "customs_description")

STORE_EXAMPLE = OpenApiExample(
    "A store",
    value={
        "name": "Acme Main",
        "url": "https://shop.example.com",
        "endpoint_path": "/store/shipstation.aspx",
        "username": "shipstation-admin",
        "password": "s3cret",
        "import_interval_minutes": 15,
    },
    request_only=True,
)


# --- stores -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List stores", tags=["stores"]),
    retrieve=extend_schema(summary="Read a store", tags=["stores"]),
    create=extend_schema(
        summary="Connect a store",
        tags=["stores"],
        request=s.StoreCreateSerializer,
        responses={201: s.StoreSerializer},
        examples=[STORE_EXAMPLE],
        description="The password is write-only: it is encrypted at rest and never returned.",
    ),
    update=extend_schema(summary="Replace a store's settings", tags=["stores"], examples=[STORE_EXAMPLE]),
    partial_update=extend_schema(
        summary="Edit a store",
        tags=["stores"],
        examples=[OpenApiExample("Rename", value={"name": "Acme Outlet"}, request_only=True)],
    ),
)
class StoreViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ApiViewSet
):
    model = Store
    serializer_class = s.StoreSerializer
    write_permission = "manage_stores"
    ordering_fields = ["name", "created_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def scope(self, queryset):
        # each store's real time and import state, in the same query; which secrets it has, in one more
        return queryset.select_related("hook_stats", "realtime", "import_state").prefetch_related("secrets")

    def get_serializer_class(self):
        return s.StoreCreateSerializer if self.action == "create" else s.StoreSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        road = data.get("road", Road.XML)
        credentials = (
            {"road": road, "rest_auth": RestAuth.TOKEN, "api_token": data.get("api_token", "")}
            if road == Road.REST
            else {"username": data.get("username", ""), "password": data.get("password", "")}
        )
        serializer.instance = store_create(
            tenant=self.request.tenant,
            name=data["name"],
            url=data["url"],
            endpoint_path=data.get("endpoint_path"),
            import_interval_minutes=data.get("import_interval_minutes", 15),
            **credentials,
        )

    def perform_update(self, serializer):
        store_update(store=serializer.instance, **serializer.validated_data)

    @extend_schema(
        summary="Deactivate a store",
        tags=["stores"],
        request=None,
        responses={200: s.StoreSerializer},
        description="Stops imports; the store and its orders stay readable.",
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        store = store_deactivate(store=self.get_object())
        return Response(s.StoreSerializer(store, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Test the store connection",
        tags=["stores"],
        request=None,
        responses={200: s.ConnectionResultSerializer},
        examples=[
            OpenApiExample(
                "Wrong password",
                response_only=True,
                value={
                    "ok": False,
                    "outcome": "bad_credentials",
                    "message": "The store refused the username or password.",
                },
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request, pk=None):
        from stores.connector import client_for_store

        store = self.get_object()
        try:
            with client_for_store(store) as client:
                result = client.test_connection()
        except StoreError as exc:  # a token source that cannot give a token (a store waiting to be reconnected)
            return Response({"ok": False, "outcome": "bad_credentials", "message": exc.message})
        return Response(
            {
                "ok": result.ok,
                "outcome": result.outcome.value,
                "message": result.message,
                "missing_scope": getattr(result, "missing_scope", ""),
            }
        )

    @extend_schema(
        summary="Import now",
        tags=["stores"],
        request=None,
        responses={202: s.ImportRunSerializer},
        description="Queues an import of this store and returns its run (the running one if an "
        "import is already queued or running).",
    )
    @action(detail=True, methods=["post"])
    def refresh(self, request, pk=None):
        store = self.get_object()
        run = import_request(store=store, trigger="api", user=caller_user(request))
        return Response(s.ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Reconcile now",
        tags=["stores"],
        request=None,
        responses={202: s.ImportRunSerializer},
        description="Queues a reconciliation sweep: the store's last `reconcile_days` days are compared "
        "with the orders held, and any order earlier imports missed is imported (the run's "
        "`recovered` lists them). Returns the running import instead if one is already "
        "queued or running (its `trigger` then is not `reconcile`).",
    )
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        store = self.get_object()
        run = reconcile_request(store=store, user=caller_user(request))
        return Response(s.ImportRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        methods=["GET"],
        summary="Read a store's status mapping",
        tags=["stores"],
        responses={200: s.StatusMappingSerializer},
    )
    @extend_schema(
        methods=["PUT", "PATCH"],
        summary="Edit a store's status mapping",
        tags=["stores"],
        request=s.StatusMappingSerializer,
        responses={200: s.StatusMappingSerializer},
        description="Each list is comma-separated store statuses; a status may sit in one list only.",
        examples=[
            OpenApiExample("Add a status", request_only=True, value={"awaiting_shipment": "Pending, Processing, Ready"})
        ],
    )
    @action(
        detail=True,
        methods=["get", "put", "patch"],
        url_path="status-mapping",
        serializer_class=s.StatusMappingSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def status_mapping(self, request, pk=None):
        store = self.get_object()
        mapping = store.status_mapping
        if request.method == "GET":
            return Response(s.StatusMappingSerializer(mapping).data)
        serializer = s.StatusMappingSerializer(mapping, data=request.data, partial=request.method == "PATCH")
        serializer.is_valid(raise_exception=True)
        saved = status_mapping_update(store=store, lists=serializer.validated_data, user=caller_user(request))
        return Response(s.StatusMappingSerializer(saved.mapping).data)


# --- import runs ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List import runs", tags=["imports"]),
    retrieve=extend_schema(
        summary="Read an import run and its progress",
        tags=["imports"],
        examples=[
            OpenApiExample(
                "Running",
                response_only=True,
                value={
                    "id": 7,
                    "store": 1,
                    "trigger": "api",
                    "state": "running",
                    "pages_done": 3,
                    "pages_total": 10,
                    "progress_percent": 30,
                    "orders_seen": 300,
                    "orders_created": 12,
                    "orders_updated": 4,
                    "orders_unchanged": 284,
                    "skipped": {"no_ship_to": 1},
                    "skipped_total": 1,
                    "error": "",
                },
            )
        ],
    ),
)
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = ImportRun
    serializer_class = s.ImportRunSerializer
    filterset_class = ImportRunFilter
    ordering_fields = ["queued_at", "id"]


# --- orders -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List orders",
        tags=["orders"],
        description="Filter by store, storefront, status, order number, customer e-mail, "
        "modified and order date ranges. `page_size` up to 500. Pages by cursor: follow `next` and "
        "`previous`; `page=N` within the first 10,000 results, `page=last` for the last page; `count` is "
        "counted up to 10,000 (`count_capped`).",
    ),
    retrieve=extend_schema(summary="Read an order with its lines and shipments", tags=["orders"]),
    partial_update=extend_schema(
        summary="Edit an order's notes",
        tags=["orders"],
        request=s.OrderNotesSerializer,
        responses={200: s.OrderDetailSerializer},
        examples=[
            OpenApiExample(
                "Notes", request_only=True, value={"outbound_notes": "Pack with care", "notes_to_buyer": "Thank you!"}
            )
        ],
    ),
)
class OrderViewSet(OrderChoicesActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = Order
    filterset_class = OrderFilter
    pagination_class = KeysetPagination
    ordering_fields = ["order_date", "modified_at", "number", "order_total", "id"]
    ordering = ["-order_date", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        # The list shows the order's tags, preset and person (issue 30); the detail stays what the webhooks' payloads
        # are (OrderDetailSerializer), its choices at /orders/{id}/choices/.
        if self.action == "list":
            return srules.OrderListWithChoicesSerializer
        return s.OrderDetailSerializer

    def scope(self, queryset):
        if self.action == "list":
            # The page reads only the columns it shows (not the addresses' JSON, the notes, the hashes).
            return queryset.only(*s.ORDER_LIST_COLUMNS, "shipping_preset", "assignee").prefetch_related("tags")
        return s.OrderDetailSerializer.prefetch(queryset).prefetch_related("tags")  # (tags: for /choices/)

    def partial_update(self, request, pk=None):
        order = self.get_object()
        serializer = s.OrderNotesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_set_notes(order=order, actor=caller_label(request), **serializer.validated_data)
        return Response(s.OrderDetailSerializer(self.get_object()).data)

    @extend_schema(
        summary="Put an order on hold",
        tags=["orders"],
        request=s.OrderHoldSerializer,
        responses={200: s.OrderDetailSerializer},
        examples=[OpenApiExample("Hold", request_only=True, value={"reason": "Address check"})],
    )
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        order = self.get_object()
        serializer = s.OrderHoldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order_set_hold(order=order, hold=True, actor=caller_label(request), reason=serializer.validated_data["reason"])
        return Response(s.OrderDetailSerializer(self.get_object()).data)

    @extend_schema(
        summary="Release an order's hold", tags=["orders"], request=None, responses={200: s.OrderDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        order = self.get_object()
        order_set_hold(order=order, hold=False, actor=caller_label(request))
        return Response(s.OrderDetailSerializer(self.get_object()).data)

    def initial(self, request, *args, **kwargs):
        if getattr(self, "action", None) == "labels":
            # A label purchase commits its row before the carrier is called, so it cannot run inside the
            # mixin's transaction: its Idempotency-Key is the purchase's own (labels.services.label_buy).
            return super(IdempotentMixin, self).initial(request, *args, **kwargs)
        return super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Rates for an order",
        tags=["labels"],
        request=vl.RatesRequestSerializer,
        responses={200: vl.RatesSerializer},
        description="Every active label account's services, cheapest first; a carrier that fails gives its own "
        "error in `errors` and the others still answer. What the parcel lacks is in `problems` (nobody called).",
    )
    @action(detail=True, methods=["post"])
    def rates(self, request, pk=None):
        return vl.order_rates(request, self.get_object())

    @extend_schema(
        summary="Buy a label",
        tags=["labels"],
        request=vl.LabelBuySerializer,
        responses={201: vl.LabelPurchaseSerializer, 409: OpenApiResponse(description="The order has a live label.")},
        description="Buys the label and records the shipment (store update, buyer e-mail, tracking, webhooks). "
        "One live label per order: a second purchase answers 409 with the first. Send an `Idempotency-Key`: a "
        "retry with it answers the first purchase (200, `Idempotent-Replayed`), never a second label. `state` "
        "`uncertain`: the carrier's answer was lost; check with the carrier.",
    )
    @action(detail=True, methods=["post"])
    def labels(self, request, pk=None):
        return vl.order_label_buy(request, self.get_object())


# --- insights ---------------------------------------------------------------------------------------


# --- shipments --------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List shipments",
        tags=["shipments"],
        description="Pages by cursor: follow `next` and `previous`; `page=N` within the first 10,000 results, "
        "`page=last` for the last page; `count` is counted up to 10,000 (`count_capped`).",
    ),
    retrieve=extend_schema(summary="Read a shipment", tags=["shipments"]),
    create=extend_schema(
        summary="Create a shipment",
        tags=["shipments"],
        request=s.ShipmentCreateSerializer,
        responses={201: s.ShipmentSerializer},
        description="The same service as the portal: checks quantities, marks the order shipped when "
        "complete, and queues the store update. Send an `Idempotency-Key` to make retries safe.",
        examples=[
            OpenApiExample(
                "Two units by UPS",
                request_only=True,
                value={
                    "order": 42,
                    "lines": [{"line": 101, "quantity": 2}],
                    "carrier": "UPS",
                    "service": "Ground",
                    "tracking_number": "1Z999AA10123456784",
                    "ship_date": "2026-11-27",
                    "carrier_fee": "8.95",
                },
            )
        ],
    ),
)
class ShipmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet):
    model = Shipment
    serializer_class = s.ShipmentSerializer
    filterset_class = ShipmentFilter
    pagination_class = KeysetPagination
    ordering_fields = ["created_at", "ship_date", "id"]

    def scope(self, queryset):
        return queryset.select_related("created_by_user").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.order_by("order_line__position", "pk"))
        )

    def create(self, request, *args, **kwargs):
        serializer = s.ShipmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = {item["line"]: item["quantity"] for item in data["lines"]} if data.get("lines") else None
        shipment = shipment_create(
            order=data["order"],
            lines=lines,
            carrier=data["carrier"],
            service=data["service"],
            tracking_number=data["tracking_number"],
            ship_date=data["ship_date"],
            carrier_fee=data["carrier_fee"],
            notes_to_buyer=data["notes_to_buyer"],
            internal_notes=data["internal_notes"],
            notify_buyer=data["notify_buyer"],
            user=caller_user(request),
            created_by_label=caller_label(request),
            override_status=False,
        )
        shipment = self.get_queryset().get(pk=shipment.pk)
        return Response(s.ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Void a shipment", tags=["shipments"], request=None, responses={200: s.ShipmentSerializer})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        shipment_void(shipment=self.get_object(), user=caller_user(request), actor=caller_label(request))
        return Response(s.ShipmentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Mark a shipment delivered",
        tags=["shipments"],
        request=s.ShipmentDeliveredSerializer,
        responses={200: s.ShipmentSerializer},
        examples=[OpenApiExample("Delivered", request_only=True, value={"delivered_at": "2026-11-29T14:05:00Z"})],
    )
    @action(detail=True, methods=["post"], url_path="mark-delivered")
    def mark_delivered(self, request, pk=None):
        shipment = self.get_object()
        serializer = s.ShipmentDeliveredSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shipment_mark_delivered(
            shipment=shipment, delivered_at=serializer.validated_data["delivered_at"], actor=caller_label(request)
        )
        return Response(s.ShipmentSerializer(self.get_object()).data)

    @extend_schema(
        summary="A shipment's label document",
        tags=["labels"],
        parameters=[OpenApiParameter("format", str, enum=["pdf", "zpl"], description="pdf (default) or zpl")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No such label.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=vl.DOCUMENT_RENDERERS)
    def label(self, request, pk=None):
        return vl.shipment_label(request, self.get_object())

    @extend_schema(
        summary="Void a shipment's label with the carrier",
        tags=["labels"],
        request=None,
        responses={200: vl.LabelPurchaseSerializer},
        description="The carrier's cancel call, then the shipment is voided (the order back to Awaiting Shipment). "
        "A carrier that refuses (already scanned) answers 400 with its words, nothing changed.",
    )
    @action(detail=True, methods=["post"], url_path="void-label")
    def void_label(self, request, pk=None):
        return vl.shipment_label_void(request, self.get_object())

    @extend_schema(
        summary="Retry the store update now",
        tags=["shipments"],
        request=None,
        responses={200: si.OutboxMessageSerializer},
        description="Gives a failed or waiting store update a fresh set of attempts and sends it.",
    )
    @action(detail=True, methods=["post"], url_path="retry-store-update")
    def retry_store_update(self, request, pk=None):
        message = store_update_retry(shipment=self.get_object())
        return Response(si.OutboxMessageSerializer(message).data)

    @extend_schema(
        summary="A shipment's carrier tracking",
        tags=["shipments"],
        responses={200: sr.ShipmentTrackingSerializer},
        description="What the carrier says: the tracking state and every scan (newest first), or why "
        "the shipment is not followed (`not_followed`: `no_account`, `unsupported`, "
        "`no_number`, `delivered` when marked delivered by hand, or empty). A shipment returned to the "
        "sender has the state `returned` and is no longer followed.",
    )
    @action(detail=True, methods=["get"], url_path="tracking")
    def tracking(self, request, pk=None):
        from tracking.selectors import tracking_for_shipments

        view = tracking_for_shipments(tenant=request.tenant, shipments=[self.get_object()])[0]
        return Response(sr.ShipmentTrackingSerializer(view).data)


# --- products ---------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List products", tags=["products"]),
    retrieve=extend_schema(summary="Read a product", tags=["products"]),
    partial_update=extend_schema(
        summary="Set a product's warehouse location or weight",
        tags=["products"],
        description="A location set here is marked as set in Outbound (kept across imports unless the store "
        "settings let the store overwrite it).",
        examples=[OpenApiExample("Location", request_only=True, value={"warehouse_location": "A-12-3"})],
    ),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, ApiViewSet):
    model = Product
    serializer_class = s.ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["sku", "updated_at", "id"]
    http_method_names = ["get", "patch", "head", "options"]

    def scope(self, queryset):
        return queryset.prefetch_related("barcodes")

    def perform_update(self, serializer):
        data = serializer.validated_data
        if "barcodes" in data:  # issue 32: first, so that a refused code changes nothing else
            barcodes_set(product=serializer.instance, codes=data["barcodes"])
            getattr(serializer.instance, "_prefetched_objects_cache", {}).pop("barcodes", None)
        serializer.instance = product_update(
            product=serializer.instance,
            warehouse_location=data.get("warehouse_location"),
            weight=data.get("weight"),
            set_weight="weight" in data,
            weight_unit=data.get("weight_unit"),
            dimensions={k: data[k] for k in ("length", "width", "height", "dimension_unit") if k in data},
            **({"default_package": data["default_package"]} if "default_package" in data else {}),
        )
        defaults = {k: data[k] for k in PRODUCT_DEFAULT_FIELDS if k in data}
        if defaults:  # issue 30: the default shipping preset and the customs fields
            serializer.instance = product_defaults_set(product=serializer.instance, **defaults)


# --- webhooks ---------------------------------------------------------------------------------------


__all__ = ["OpenApiResponse"]
