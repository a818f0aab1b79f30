import pytest
from django.http import Http404

from stores.models import Membership, StatusMapping, Store, Storefront, StoreSettings
from stores.selectors import membership_for, store_get, store_list


@pytest.mark.django_db
def test_standing_cast(alice, bob, charlie, tenant_a, tenant_b):
    assert Membership.objects.get(user=alice).tenant == tenant_a
    assert Membership.objects.get(user=alice).role == "owner"
    assert Membership.objects.get(user=bob).role == "viewer"
    assert Membership.objects.get(user=charlie).tenant == tenant_b


@pytest.mark.django_db
def test_charlie_reaches_none_of_tenant_a_stores(charlie, tenant_b, store_a, store_b):
    assert list(store_list(tenant=tenant_b)) == [store_b]
    with pytest.raises(Http404):
        store_get(tenant=tenant_b, pk=store_a.pk)
    assert membership_for(charlie, store_a.tenant) is None
    assert not Store.objects.for_tenant(tenant_b).filter(pk=store_a.pk).exists()
    for model in (StatusMapping, StoreSettings):
        assert not model.objects.for_tenant(tenant_b).filter(store=store_a).exists()


@pytest.mark.django_db
def test_tenant_scoped_querysets_filter_each_model(store_a, store_b, tenant_a, tenant_b):
    Storefront.objects.create(store=store_a, name="Main")
    for model in (StatusMapping, StoreSettings, Storefront):
        for row in model.objects.for_tenant(tenant_b):
            assert row.store.tenant_id == tenant_b.pk
        assert model.objects.for_tenant(tenant_a).exists()


@pytest.mark.django_db
def test_roles_permissions(alice, bob, tenant_a):
    assert membership_for(alice, tenant_a).can("manage_stores")
    assert membership_for(bob, tenant_a).can("view")
    assert not membership_for(bob, tenant_a).can("ship")
    assert not membership_for(bob, tenant_a).can("manage_stores")


@pytest.mark.django_db
def test_store_get_with_garbage_pk_is_404(tenant_a):
    with pytest.raises(Http404):
        store_get(tenant=tenant_a, pk="abc")
