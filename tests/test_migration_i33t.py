"""Issue 33 (tracking page): stores connected before it get a public tracking address from their name in the
migration, unique even for two stores of one name; shipments keep an empty token until a notice needs one."""

import pytest

from tests.factories import make_store, make_tenant
from tests.test_migration_i28 import _latest, _migrate

BEFORE = [("stores", "0017_i28s_store_drop_secret_columns")]


# A shipped migration (its issue is closed): it unapplies migrations and applies them again, so it runs with
# `pytest -m slow` only (docs/testing.md#shipped-migrations).
@pytest.mark.slow
@pytest.mark.exhaustive
@pytest.mark.django_db(transaction=True)
def test_existing_stores_get_a_tracking_address_from_their_name():
    stores = [make_store(make_tenant(), name=name) for name in ("Corner Shop", "Corner Shop", "Été & Co")]
    _migrate(BEFORE)
    try:
        _latest()
    finally:
        _latest()
    from stores.models import Store

    slugs = dict(Store.objects.filter(pk__in=[s.pk for s in stores]).values_list("pk", "tracking_slug"))
    assert slugs[stores[0].pk].startswith("corner-shop-") and slugs[stores[1].pk].startswith("corner-shop-")
    assert slugs[stores[2].pk].startswith("ete-co-")
    assert len(set(slugs.values())) == 3
