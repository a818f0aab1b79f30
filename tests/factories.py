"""Small factories for the tenant/store/order graph (and a store on the sandbox). Plain functions, no magic."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderLine, OrderStatus, Product
from stores.models import Membership, Role, Tenant
from stores.services import store_create

_seq = itertools.count(1)


def make_user(username: str | None = None, *, password: str = "pw-for-tests-1", **extra):
    User = get_user_model()
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, email=f"{username}@example.com", password=password, **extra)
    return user


def make_tenant(name: str | None = None) -> Tenant:
    n = next(_seq)
    name = name or f"Tenant {n}"
    return Tenant.objects.create(name=name, slug=f"t{n}-{name.lower().replace(' ', '-')}"[:60])


def make_member(tenant: Tenant, user, role: str = Role.MEMBER) -> Membership:
    return Membership.objects.create(tenant=tenant, user=user, role=role)


def make_store(
    tenant: Tenant,
    *,
    name: str | None = None,
    url: str = "https://shop.example.com",
    username: str = "shipstation-admin",
    password: str = "s3cret-store-pass",
    **kwargs,
):
    return store_create(
        tenant=tenant, name=name or f"Store {next(_seq)}", url=url, username=username, password=password, **kwargs
    )


# --- orders, lines, products, shipments --------------------------------------------------------------


def make_order(store, *, lines: int = 1, status: str = OrderStatus.AWAITING_SHIPMENT, **fields) -> Order:
    """A plain order with `lines` product lines (SKU0, SKU1, …; two units at 9.99 each)."""
    n = next(_seq)
    now = timezone.now()
    values = dict(
        tenant=store.tenant,
        store=store,
        external_id=f"X{n}",
        number=f"N{n}",
        store_status="Pending",
        status=status,
        order_date=now - dt.timedelta(days=1),
        modified_at=now,
        email="buyer@example.com",
        ship_to={"name": "Pat", "city": "Austin"},
        ship_to_name="Pat",
        order_total=Decimal("19.99"),
    )
    order = Order.objects.create(**{**values, **fields})
    for i in range(lines):
        make_line(order, line_key=f"L{i}", position=i, sku=f"SKU{i}", name=f"Thing {i}")
    return order


def make_detailed_order(
    store, *, number: str | None = None, sku: str = "MUG-RED", status: str = OrderStatus.AWAITING_SHIPMENT, **fields
) -> Order:
    """An order with every field the portal shows filled in: a shippable product line (`sku`, key "1"),
    a coupon (an adjustment line), an e-book (electronic, not shippable), and its import event."""
    n = next(_seq)
    values = dict(
        external_id=str(n),
        number=number or str(n),
        store_status="New",
        order_date=timezone.now() - dt.timedelta(hours=1),
        email=f"buyer{n}@example.com",
        phone="555-0100",
        ship_to={
            "name": "Jane Buyer",
            "address1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "postal_code": "78701",
            "country": "US",
        },
        ship_to_name="Jane Buyer",
        shipping_method="USPS Priority",
        payment_method="Visa",
        order_total=Decimal("42.00"),
        is_gift=True,
        gift_message="Happy birthday",
        customer_notes="Leave at door",
        internal_notes="VIP",
        total_weight=Decimal("1.5"),
        weight_unit="Pounds",
    )
    order = make_order(store, lines=0, status=status, **{**values, **fields})
    make_line(
        order,
        line_key="1",
        position=1,
        sku=sku,
        name="Red mug",
        quantity=2,
        unit_price=Decimal("21.00"),
        unit_weight=Decimal("0.75"),
        weight_unit="Pounds",
        image_url="https://cdn.example.com/mug.png",
        warehouse_location="A-01-3",
        options=[{"name": "Colour", "value": "Red"}],
    )
    make_line(
        order,
        line_key="coupon",
        position=2,
        sku="",
        name="SPRING10",
        quantity=1,
        unit_price=Decimal("-4.00"),
        is_adjustment=True,
    )
    make_line(
        order,
        line_key="ebook",
        position=3,
        sku="EBOOK",
        name="Recipe e-book",
        quantity=1,
        unit_price=Decimal("5.00"),
        is_shippable=False,
        product_kind="electronic",
    )
    OrderEvent.objects.create(order=order, kind="imported", message="Imported from the store", actor="import")
    return order


def make_line(
    order: Order,
    *,
    line_key: str,
    position: int,
    sku: str = "SKU",
    name: str = "Thing",
    quantity: int = 2,
    unit_price: Decimal = Decimal("9.99"),
    **fields,
) -> OrderLine:
    return OrderLine.objects.create(
        order=order,
        line_key=line_key,
        position=position,
        sku=sku,
        name=name,
        quantity=quantity,
        unit_price=unit_price,
        **fields,
    )


def make_product(store, sku: str = "SKU-1") -> Product:
    return Product.objects.create(store=store, sku=sku, name="A thing")


def make_shipment(order: Order, *, carrier: str = "UPS", **kwargs):
    """A shipment through the one write path (shipments.services.shipment_create); everything left by default."""
    from shipments.services import shipment_create

    return shipment_create(order=order, carrier=carrier, **kwargs)


def clone_rows(template, count: int, overrides: dict[str, str], params: dict | None = None, *, chunk=100_000):
    """`count` copies of the saved row `template` by INSERT … SELECT generate_series (PostgreSQL), fast
    enough for a million rows. `overrides` maps a column to an SQL expression of `g` (1…count), `t` (the
    template row) and %(name)s `params`, e.g. {"external_id": "%(prefix)s || g"}; every other column is the
    template's. Yields the rows done so far after each chunk (a bench prints its progress)."""
    from django.db import connection

    model = type(template)
    columns = [f.column for f in model._meta.concrete_fields if f.column != model._meta.pk.column]
    select = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {select} "
        f"FROM {model._meta.db_table} t, generate_series(%(lo)s, %(hi)s) g WHERE t.id = %(template)s"
    )
    with connection.cursor() as cursor:
        for lo in range(1, count + 1, chunk):
            hi = min(count, lo + chunk - 1)
            cursor.execute(sql, {**(params or {}), "lo": lo, "hi": hi, "template": template.pk})
            yield hi


def bulk_orders(store, count: int, *, stores=None, now=None):
    """`count` orders of `store`'s tenant (spread over `stores`, default [store]) by clone_rows: 40 % awaiting
    shipment, 30 % shipped, 10 % each on hold, awaiting payment and cancelled; dates spread over a year by the minute
    (many share one); 1 in 50 partially shipped, 1 in 200 needing attention. Yields progress as clone_rows."""
    now = now or timezone.now()
    stores = stores or [store]
    statuses = [OrderStatus.AWAITING_SHIPMENT] * 4 + [OrderStatus.SHIPPED] * 3
    statuses += [OrderStatus.ON_HOLD, OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED]
    store_ids = ", ".join(str(int(s.pk)) for s in stores)
    overrides = {
        "store_id": f"(ARRAY[{store_ids}])[1 + mod(g, {len(stores)})]",
        "external_id": "%(prefix)s || g",
        "number": "%(prefix)s || (100000 + g)",
        "status": "(ARRAY["
        + ",".join(f"'{s}'" for s in statuses)
        + "])"
        + f"[1 + mod(g::bigint * 7919, {len(statuses)})]",
        "order_date": "%(now)s - mod(g::bigint * 104729, 525600) * interval '1 minute'",
        "modified_at": "%(now)s - mod(g::bigint * 104729, 525600) * interval '1 minute'",
        "email": "'buyer' || mod(g, 5000) || '@example.com'",
        "ship_to_name": "'Buyer ' || g",
        "needs_attention": "mod(g, 200) = 0",
        "shipping": "CASE WHEN mod(g, 50) = 0 THEN 'partial' ELSE t.shipping END",
    }
    template = make_order(store, lines=0, order_date=now, modified_at=now, order_total=Decimal("42.50"))
    prefix = f"bulk{template.pk}-"
    yield from clone_rows(template, count - 1, overrides, {"prefix": prefix, "now": now})


# --- the sandbox store ---------------------------------------------------------------------------------


def connect_sandbox(
    tenant: Tenant, server, *, name: str = "Sandbox store", mapping: dict | None = None, road: str = "xml"
):
    """A store connected to a running sandbox (its endpoint and credentials, or on the REST road its URL and
    API token); `mapping` None keeps the default status mapping."""
    if road == "rest":
        return store_create(
            tenant=tenant, name=name, url=server.base_url, road="rest", api_token=server.rest_token, mapping=mapping
        )
    parts = urlsplit(server.endpoint_url)
    return store_create(
        tenant=tenant,
        name=name,
        url=f"{parts.scheme}://{parts.netloc}",
        endpoint_path=parts.path,
        username=server.username,
        password=server.password,
        mapping=mapping,
    )


def realtime_row(store):
    """The store's real-time row (hooks.models.StoreRealtime) as it is in the database now, or an empty
    unsaved one when it has none."""
    from hooks.models import StoreRealtime

    return StoreRealtime.objects.filter(store_id=store.pk).first() or StoreRealtime(store_id=store.pk)


def realtime_set(store, **fields) -> None:
    """Write the store's real-time row (token_hash, subscription_ids, message), made if missing."""
    from hooks.models import StoreRealtime

    StoreRealtime.objects.update_or_create(store_id=store.pk, defaults=fields)


def import_state(store):
    """The store's import state (orders.models.StoreImportState) as it is in the database now (made if missing)."""
    from orders.models import StoreImportState

    return StoreImportState.objects.get_or_create(store_id=store.pk)[0]


def import_state_set(store, **fields) -> None:
    """Write fields of the store's import state (import_watermark, import_running_since…), made if missing."""
    from orders.models import StoreImportState

    StoreImportState.objects.update_or_create(store_id=store.pk, defaults=fields)


# --- two-factor sign-in: operators open the admin with a real authenticator code -----------------------


def totp_code(device, *, ahead: int = 0) -> str:
    """The code `device`'s authenticator shows now (`ahead`: that many 30-second steps later, which
    django-otp's tolerance accepts, for a second code within the same step)."""
    from django_otp.oath import totp

    return (
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=ahead):0{device.digits}d}"
    )


def make_totp_device(user, *, confirmed: bool = True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=confirmed)


def operator_sign_in(client, user):
    """Sign `user` in as an operator does: the password step (force_login), then the code of an authenticator of
    theirs on the two-factor page (a new device each time, so two sign-ins in the same 30 seconds both work).
    Returns the device."""
    from django.urls import reverse

    device = make_totp_device(user)
    client.force_login(user)
    response = client.post(reverse("portal:two_factor_verify"), {"code": totp_code(device), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/", response
    return device
