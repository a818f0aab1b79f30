"""Issue 29: CarrierAccount moves from the tracking app to the carriers app with its table
(tracking_carrieraccount, kept by db_table). A database holding an account, its encrypted credentials and a
followed shipment pointing at it upgrades without losing any (the account reads back, decrypts, and is still
the followed shipment's account; its content type follows it), and downgrades back to the tracking app."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import make_order, make_shipment, make_store, make_tenant

# Before the move: tracking as issue 19 left it, and no carriers app (nor what depends on it).
BEFORE = [("tracking", "0002_tracking_state_returned"), ("carriers", None)]
STATE = [("tracking", "0002_tracking_state_returned"), ("contenttypes", "0002_remove_content_type_name")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _latest() -> None:
    latest = MigrationExecutor(connection)
    latest.migrate(latest.loader.graph.leaf_nodes())


# A shipped migration (its issue is closed): it unapplies most of the project's migrations and applies them
# again (minutes on SQLite), so it runs with `pytest -m slow` only (docs/testing.md#shipped-migrations).
@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_a_carrier_account_and_its_followed_shipment_survive_the_move_and_the_way_back():
    from stores import crypto

    store = make_store(make_tenant())
    shipment = make_shipment(make_order(store), carrier="USPS", tracking_number="9400111")
    now = timezone.now().replace(microsecond=0)
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(STATE).apps
        assert "carriers" not in old.app_configs
        OldAccount = old.get_model("tracking", "CarrierAccount")
        OldTracking = old.get_model("tracking", "ShipmentTracking")
        ContentType = old.get_model("contenttypes", "ContentType")
        ContentType.objects.get_or_create(app_label="tracking", model="carrieraccount")
        ContentType.objects.filter(app_label="carriers", model="carrieraccount").delete()
        secret = crypto.encrypt_secret('{"client_id": "cid-1234", "client_secret": "sec-5678"}')
        account = OldAccount.objects.create(
            tenant_id=store.tenant_id,
            carrier="USPS",
            name="Warehouse USPS",
            credentials_encrypted=secret,
            test_mode=True,
            server_url="http://127.0.0.1:9",
            last_test_ok=True,
            last_test_outcome="ok",
            last_tested_at=now,
        )
        OldTracking.objects.create(
            tenant_id=store.tenant_id, shipment_id=shipment.pk, account_id=account.pk, state="in_transit"
        )
        _latest()

        from django.contrib.contenttypes.models import ContentType as LiveContentType

        from carriers.models import CarrierAccount
        from tracking.models import ShipmentTracking

        assert CarrierAccount._meta.db_table == "tracking_carrieraccount"
        moved = CarrierAccount.objects.get(pk=account.pk)
        assert (moved.carrier, moved.name, moved.test_mode, moved.server_url, moved.last_test_outcome) == (
            "USPS",
            "Warehouse USPS",
            True,
            "http://127.0.0.1:9",
            "ok",
        )
        assert moved.credentials() == {"client_id": "cid-1234", "client_secret": "sec-5678"}
        # The new columns arrive with their defaults.
        assert (moved.use_for_labels, moved.ship_from_id, moved.account_number) == (False, None, "")
        assert ShipmentTracking.objects.get(shipment_id=shipment.pk).account == moved
        assert LiveContentType.objects.get_for_model(CarrierAccount).app_label == "carriers"
        assert not LiveContentType.objects.filter(app_label="tracking", model="carrieraccount").exists()

        executor = _migrate(BEFORE)
        back_apps = executor.loader.project_state(STATE).apps
        back = back_apps.get_model("tracking", "CarrierAccount").objects.get(pk=account.pk)
        assert (back.name, back.credentials_encrypted) == ("Warehouse USPS", moved.credentials_encrypted)
        assert back_apps.get_model("tracking", "ShipmentTracking").objects.get(shipment_id=shipment.pk).account_id == (
            account.pk
        )
        assert (
            back_apps.get_model("contenttypes", "ContentType")
            .objects.filter(app_label="tracking", model="carrieraccount")
            .exists()
        )
    finally:
        _latest()
