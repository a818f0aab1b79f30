from django.core import mail
from django.urls import reverse

from api.models import ApiKey
from stores.models import Membership, Role


def test_invite_creates_member_and_sends_invitation(alice_client, tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("portal:users"), {"email": "dana@example.com", "role": "member"})
    membership = Membership.objects.for_tenant(tenant_a).get(user__email="dana@example.com")
    assert membership.role == Role.MEMBER
    assert len(mail.outbox) == 1 and "Acme Goods" in mail.outbox[0].subject and "/invitation/" in mail.outbox[0].body


def test_invite_existing_member_is_refused(alice_client, bob):
    body = alice_client.post(reverse("portal:users"), {"email": bob.email, "role": "member"}).content.decode()
    assert "already a member" in body


def test_change_role_and_remove(alice_client, bob, tenant_a):
    membership = Membership.objects.get(user=bob)
    alice_client.post(reverse("portal:user_role", args=[membership.pk]), {"role": "member"})
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    alice_client.post(reverse("portal:user_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_owner_cannot_be_demoted(alice_client, alice):
    membership = Membership.objects.get(user=alice)
    alice_client.post(reverse("portal:user_role", args=[membership.pk]), {"role": "viewer"})
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_admin_cannot_make_an_owner(client, bob, tenant_a):
    from tests.factories import make_member, make_user

    admin = make_user("adam")
    make_member(tenant_a, admin, Role.ADMIN)
    client.force_login(admin)
    client.post(reverse("portal:user_role", args=[Membership.objects.get(user=bob).pk]), {"role": "owner"})
    assert Membership.objects.get(user=bob).role == Role.VIEWER


def test_api_key_is_shown_once_and_can_be_revoked(alice_client, tenant_a):
    body = alice_client.post(reverse("portal:api_keys"), {"name": "WMS"}).content.decode()
    key = ApiKey.objects.for_tenant(tenant_a).get()
    assert 'id="new-key">ob_live_' in body
    assert 'id="new-key"' not in alice_client.get(reverse("portal:api_keys")).content.decode()
    alice_client.post(reverse("portal:api_key_revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_read_only_key(alice_client, tenant_a):
    body = alice_client.post(reverse("portal:api_keys"), {"name": "BI", "read_only": "on"}).content.decode()
    assert "ob_read_" in body and ApiKey.objects.for_tenant(tenant_a).get().read_only
