"""Writes for tenants, stores and status mappings: the one write path the admin, the portal and the API
share. Every write is validated against the model (its lengths, choices and validators) before it is saved,
then announced (stores.changes) to the apps above that act on it: real time (hooks), the import (orders), the
shipments of a store being deleted."""

from __future__ import annotations

import copy
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

import audit
from audit.context import current_request
from audit.models import Action
from audit.services import changes_of
from core.services import model_update

from . import changes
from .changes import StoreChange
from .connector.registry import connection_types
from .credentials import SecretKind
from .models import Membership, Platform, RestAuth, Road, Role, StatusMapping, Store, Storefront, StoreSettings, Tenant

# What store_update may change: the settings a person edits (not the import engine's bookkeeping).
STORE_EDITABLE_FIELDS = (
    "name",
    "platform",
    "road",
    "rest_auth",
    "url",
    "endpoint_path",
    "username",
    "is_active",
    "import_interval_minutes",
    "reconcile_every_hours",
    "reconcile_days",
)


def tracking_slug_from(name: str) -> str:
    """A free public tracking address for a store named `name`: its name in URL form and 4 random characters
    ("acme-main-3f9a"), so two stores of one name never share one (docs/tracking-page.md)."""
    base = slugify(name)[:40].strip("-") or "store"
    while True:
        slug = f"{base}-{secrets.token_hex(2)}"
        if not Store.objects.filter(tracking_slug=slug).exists():
            return slug


@transaction.atomic
def store_create(
    *,
    tenant: Tenant,
    name: str,
    url: str,
    username: str = "",
    password: str = "",
    endpoint_path: str | None = None,
    import_interval_minutes: int = 15,
    mapping: dict[str, str] | None = None,
    platform: str = Platform.AMERICOMMERCE,
    api_token: str = "",
    currency: str = "",
    oauth_pending: bool = False,
    **fields,
) -> Store:
    """A store with its status mapping (its platform's defaults unless given) and default settings (with
    `currency`, the store's currency where the road gives none: the REST road). A
    platform without an endpoint-path convention (any cart) takes its URL as the endpoint: no path.

    `fields`: other editable settings (STORE_EDITABLE_FIELDS), e.g. is_active from the admin, or
    road="rest" (with `api_token`, or rest_auth="oauth" and the tokens set afterwards by
    store_set_oauth_tokens: `oauth_pending`). Each road needs its credential (store_credentials_check)."""
    _refuse_unknown(fields)
    platform = fields.pop("platform", None) or platform
    store = Store(
        tenant=tenant,
        name=name,
        url=url,
        username=username,
        import_interval_minutes=import_interval_minutes,
        platform=platform,
        **fields,
    )
    store.tracking_slug = tracking_slug_from(name)
    if store.connection_type not in connection_types():
        store.full_clean()  # says which platform and road do not go together
    if store.connection.endpoint_path is None:
        store.endpoint_path = ""
    elif endpoint_path:
        store.endpoint_path = endpoint_path
    if password:
        store.set_password(password)
    if api_token:
        store.set_api_token(api_token)
    store.full_clean()
    store_credentials_check(store=store, oauth_pending=oauth_pending)
    store.save()
    status_mapping = StatusMapping(store=store, **{**store.connection.default_mapping, **(mapping or {})})
    status_mapping.full_clean(exclude=["store"])
    status_mapping.save()
    model_update(
        instance=StoreSettings(store=store),
        fields=STORE_SETTINGS_FIELDS,
        data={"company_name": name, "currency": currency},
        clean_exclude=["store"],
    )
    changes.announce(StoreChange(changes.CREATED, store))
    audit.record(Action.STORE_CONNECTED, tenant=tenant, target=store, after=_audit_store(store))
    return store


def _audit_store(store: Store) -> dict:
    """What the audit trail records of a store connected: where and how, never a credential."""
    return {n: getattr(store, n) for n in ("name", "platform", "road", "url", "endpoint_path", "username")}


def _audit_credentials(store: Store, names) -> None:
    """A credential changed: the audit trail records which one, never its value."""
    audit.record(Action.STORE_CREDENTIALS, tenant=store.tenant, target=store, after=dict.fromkeys(names, "changed"))


def _refuse_unknown(fields: dict) -> None:
    unknown = sorted(set(fields) - set(STORE_EDITABLE_FIELDS))
    if unknown:
        raise TypeError(f"Not editable store settings: {', '.join(unknown)}.")


@transaction.atomic
def store_update(
    *, store: Store, password: str | None = None, api_token: str | None = None, oauth_pending: bool = False, **fields
) -> Store:
    """Edit a store's settings (STORE_EDITABLE_FIELDS); a password or an API token, when given, replaces the
    saved one (a new token also ends a pending reconnect). The road chosen needs its credential, given now or
    saved before (store_credentials_check; `oauth_pending`: the OAuth app's tokens follow).

    Only what is edited is written: an import running meanwhile keeps its bookkeeping."""
    _refuse_unknown(fields)
    store.load_secrets()  # before the copy: it keeps the credentials the store had, not the ones set now
    previous = copy.copy(store)  # where it was, should the address change
    for name, value in fields.items():
        setattr(store, name, value)
    secrets = []
    if password:
        store.set_password(password)
        secrets.append(SecretKind.XML)
    if api_token:
        store.set_api_token(api_token)
        store.needs_reconnect, store.reconnect_reason = False, ""
        secrets += [SecretKind.REST_TOKEN, "needs_reconnect", "reconnect_reason"]
    store.full_clean(exclude=["tenant"])
    if {"road", "rest_auth"} & set(fields):  # a road chosen (again) needs its credential
        store_credentials_check(store=store, oauth_pending=oauth_pending)
    store.save(update_fields=[*fields, *secrets])
    changes.announce(StoreChange(changes.CHANGED, store, frozenset([*fields, *secrets]), previous))
    before, after = changes_of(store, fields, previous)
    if after:
        audit.record(Action.STORE_CHANGED, tenant=store.tenant, target=store, before=before, after=after)
    if secrets:
        _audit_credentials(store, [n for n, given in (("password", password), ("api_token", api_token)) if given])
    return store


@transaction.atomic
def store_switch_road(
    *,
    store: Store,
    road: str,
    rest_auth: str | None = None,
    username: str | None = None,
    password: str | None = None,
    endpoint_path: str | None = None,
    api_token: str | None = None,
    oauth_tokens=None,
) -> Store:
    """Move a store to another road (the ShipStation add-on's XML page, or the REST API with a token or the
    OAuth app), with that road's credentials. Only the road and its credentials change: the store's
    orders, shipments, mapping, settings and import watermark stay as they are, so the next import
    carries on from the watermark over the new road. The other road's credentials are kept (write-only),
    so switching back needs only the road.

    `oauth_tokens`: a token set of the platform's OAuth ability (registry.oauth_of) from a finished handshake
    (rest_auth "oauth")."""
    fields: dict = {"road": road}
    if rest_auth is not None:
        fields["rest_auth"] = rest_auth
    if username is not None:
        fields["username"] = username
    if endpoint_path is not None:
        fields["endpoint_path"] = endpoint_path
    store = store_update(
        store=store, password=password, api_token=api_token, oauth_pending=oauth_tokens is not None, **fields
    )
    if oauth_tokens is not None:
        store_set_oauth_tokens(
            store=store,
            access_token=oauth_tokens.access_token,
            refresh_token=oauth_tokens.refresh_token,
            expires_at=oauth_tokens.expires_at,
            scope=oauth_tokens.scope,
        )
    return store


@transaction.atomic
def store_create_oauth(*, tenant: Tenant, name: str, url: str, oauth_tokens, **kwargs) -> Store:
    """A store on the REST road connected by the OAuth app: store_create, then the handshake's tokens."""
    store = store_create(
        tenant=tenant, name=name, url=url, road=Road.REST, rest_auth=RestAuth.OAUTH, oauth_pending=True, **kwargs
    )
    store_set_oauth_tokens(
        store=store,
        access_token=oauth_tokens.access_token,
        refresh_token=oauth_tokens.refresh_token,
        expires_at=oauth_tokens.expires_at,
        scope=oauth_tokens.scope,
    )
    return store


def store_connection_test(*, store: Store):
    """The store's connector's connection test (the store may be unsaved: what a form describes); a failure to
    even ask (a token source refusing, a road not finished) is told as the store refusing, in the error's own
    words, never as a traceback. The portal's wizard and settings page, and the admin's store form, test
    through it before they save."""
    from .connector import ConnectionOutcome
    from .connector.errors import StoreError
    from .connector.registry import connector_for_store
    from .connector.types import ConnectionResult

    try:
        with connector_for_store(store) as client:
            return client.test_connection()
    except StoreError as exc:
        outcome = ConnectionOutcome.UNREACHABLE if not exc.permanent else ConnectionOutcome.BAD_CREDENTIALS
        return ConnectionResult(outcome=outcome, message=exc.message)


@transaction.atomic
def store_disconnect(*, store: Store) -> Store:
    """An owner disconnects a store: its imports stop (it is switched off), its real-time token is revoked and
    its webhooks removed from its site (hooks.realtime), carrier tracking of its shipments stops, and its
    orders, shipments and history are kept, read only, until it is connected again or deleted."""
    store.is_active, store.disconnected_at = False, timezone.now()
    store.save(update_fields=["is_active", "disconnected_at"])
    changes.announce(StoreChange(changes.DISCONNECTED, store, frozenset(["is_active", "disconnected_at"])))
    audit.record(Action.STORE_DISCONNECTED, tenant=store.tenant, target=store)
    return store


@transaction.atomic
def store_reconnect(*, store: Store) -> Store:
    """A disconnected store connected again with its saved road and credentials: imports carry on from its
    watermark, real time is subscribed again, its orders can be worked again."""
    store.is_active, store.disconnected_at = True, None
    store.save(update_fields=["is_active", "disconnected_at"])
    changes.announce(StoreChange(changes.RECONNECTED, store, frozenset(["is_active", "disconnected_at"])))
    audit.record(Action.STORE_RECONNECTED, tenant=store.tenant, target=store)
    return store


@transaction.atomic
def store_delete(*, store: Store, typed_name: str) -> None:
    """Delete a store with all its data (orders, shipments, import history, settings), once its name was typed
    exactly. Apps above remove first what the cascade cannot (changes.BEFORE_DELETE: a shipment line protects
    the order line it ships); real time removes its webhooks from its site as the row goes (changes.DELETING,
    announced for any deletion of a store: stores.apps)."""
    if (typed_name or "").strip() != store.name.strip():
        raise ValidationError(
            {"typed_name": [_("Type the store's name exactly as shown to delete it.")]}, code="name_mismatch"
        )
    changes.announce(StoreChange(changes.BEFORE_DELETE, store))
    audit.record(Action.STORE_DELETED, tenant=store.tenant, target=store, before=_audit_store(store))
    store.delete()


def store_deactivate(*, store: Store) -> Store:
    """Stop a store's imports; the store and its orders stay readable."""
    store.is_active = False
    store.save(update_fields=["is_active"])
    changes.announce(StoreChange(changes.DEACTIVATED, store, frozenset(["is_active"])))
    return store


def store_set_password(*, store: Store, password: str) -> None:
    store.set_password(password)
    store.save(update_fields=[SecretKind.XML])
    changes.announce(StoreChange(changes.PASSWORD, store, frozenset([SecretKind.XML])))
    _audit_credentials(store, ["password"])


def store_set_api_token(*, store: Store, api_token: str) -> None:
    """Keep a new REST access token (write-only; clears a pending reconnect)."""
    store.set_api_token(api_token)
    store.needs_reconnect = False
    store.reconnect_reason = ""
    fields = [SecretKind.REST_TOKEN, "needs_reconnect", "reconnect_reason"]
    store.save(update_fields=fields)
    changes.announce(StoreChange(changes.API_TOKEN, store, frozenset(fields)))
    _audit_credentials(store, ["api_token"])


OAUTH_FIELDS = [SecretKind.REST_OAUTH, "needs_reconnect", "reconnect_reason"]


def store_set_oauth_tokens(
    *, store: Store, access_token: str, refresh_token: str, expires_at=None, scope: str | None = None
) -> None:
    """Keep what the OAuth handshake or a refresh returned (clears a pending reconnect)."""
    store.set_oauth_tokens(access_token, refresh_token, expires_at, scope)
    store.save(update_fields=OAUTH_FIELDS)
    changes.announce(StoreChange(changes.OAUTH_TOKENS, store, frozenset(OAUTH_FIELDS)))
    if current_request() is not None:  # someone connected the OAuth app (a worker's refresh is no one's act)
        _audit_credentials(store, ["oauth_tokens"])


def store_mark_needs_reconnect(*, store: Store, reason: str) -> None:
    """The store refused our credentials for good: say so (in plain words) until someone reconnects."""
    store.needs_reconnect = True
    store.reconnect_reason = reason
    store.save(update_fields=["needs_reconnect", "reconnect_reason"])
    changes.announce(StoreChange(changes.NEEDS_RECONNECT, store, frozenset(["needs_reconnect", "reconnect_reason"])))


@transaction.atomic
def status_mapping_set(*, store: Store, lists: dict[str, str], user=None) -> tuple[StatusMapping, list]:
    """Change some of a store's five status lists (a store without a mapping gets one); returns the mapping
    and what the change started (changes.announce).

    Every change of the mapping is announced (changes.MAPPING_CHANGED): the import forgets the unmapped
    statuses mapped now and imports the orders skipped for them (orders.services.status_mapping_update, the
    entry point that tells which import that is)."""
    mapping = StatusMapping.objects.select_for_update().filter(store=store).first() or StatusMapping(store=store)
    previous = copy.copy(mapping)
    for name, value in lists.items():
        if name not in StatusMapping.FIELDS:
            raise ValidationError({name: ["Unknown Outbound status."]})
        setattr(mapping, name, value)
    mapping.full_clean(exclude=["store"])
    mapping.save()
    before, after = changes_of(mapping, list(lists), previous)
    if after:
        audit.record(Action.MAPPING_CHANGED, tenant=store.tenant, actor=user, target=store, before=before, after=after)
    # The store's own fields are untouched (fields: none), so nothing that follows them acts on it.
    return mapping, changes.announce(StoreChange(changes.MAPPING_CHANGED, store, frozenset(), user=user))


@transaction.atomic
def tenant_create(*, name: str, slug: str, owner=None) -> Tenant:
    tenant = Tenant.objects.create(name=name, slug=slug)
    if owner is not None:
        membership = Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
        audit.record(Action.MEMBER_ADDED, tenant=tenant, target=membership, after={"role": membership.role})
    return tenant


def membership_add(*, tenant: Tenant, email: str, role: str, username: str | None = None) -> Membership:
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username or email, defaults={"email": email})
    membership, made = Membership.objects.update_or_create(tenant=tenant, user=user, defaults={"role": role})
    audit.record(
        Action.MEMBER_ADDED if made else Action.MEMBER_ROLE, tenant=tenant, target=membership, after={"role": role}
    )
    return membership


def storefront_record(*, store: Store, name: str, shipped_status: str | None = None, currency: str | None = None):
    """Record a storefront of the store (made if new) with its shipped status and currency where given."""
    front, _ = Storefront.objects.get_or_create(store=store, name=name)
    data = {k: v for k, v in {"shipped_status": shipped_status, "currency": currency}.items() if v is not None}
    return model_update(instance=front, fields=("shipped_status", "currency"), data=data, clean_exclude=["store"])[0]


# --- each road needs its credential --------------------------------------------------------------------

CREDENTIAL_MISSING = {
    "password": _lazy("Enter the store administrator's password: none is saved for this store."),
    "api_token": _lazy("Enter the API token made in the store's admin console: none is saved for this store."),
    "rest_auth": _lazy(
        "A store connects to the OAuth app from the portal (Connect with AmeriCommerce); choose API token here."
    ),
}


def store_credentials_check(
    *, store: Store, password: str | None = None, api_token: str | None = None, oauth_pending: bool = False
) -> None:
    """Each road needs its own credential, set on `store` or saved before (a switch back keeps the other road's),
    or given in `password` / `api_token`: the password on the XML road, the API token on the REST road, or the
    OAuth app's tokens (`oauth_pending`: a handshake's tokens are saved right after). The one rule:
    store_create and store_update enforce it; the admin's and the portal's forms and the API's serializer only
    turn its ValidationError ({field: [words]}) into their field errors. The username is the model's own rule
    (Store.clean)."""
    if store.road == Road.XML:
        missing = "" if password or store.has_password else "password"
    elif store.rest_auth == RestAuth.OAUTH:
        missing = "" if store.has_oauth_tokens or oauth_pending else "rest_auth"
    else:
        missing = "" if api_token or store.has_api_token else "api_token"
    if missing:
        raise ValidationError({missing: [str(CREDENTIAL_MISSING[missing])]})


# --- store settings: branding, notifications, product handling -------------------------------------------

# What people edit on a store's settings (the portal's sections, the admin's inline): store_settings_update.
STORE_SETTINGS_FIELDS = (
    "company_name",
    "logo_url",
    "accent_colour",
    "website",
    "phone",
    "reply_to",
    "send_shipment_confirmation",
    "send_delivery_notice",
    "send_out_for_delivery",
    "send_estimated_delivery",
    "buyer_language",
    "copy_to_merchant",
    "store_location_overwrites",
    "default_weight_unit",
    "currency",
)


def store_settings_ensure(*, store: Store) -> StoreSettings:
    """The store's settings row, made with its defaults if it has none yet (store_create makes it; a store from
    before settings existed has none until they are first edited)."""
    return StoreSettings.objects.get_or_create(store=store, defaults={"company_name": store.name})[0]


@transaction.atomic
def store_settings_update(*, store: Store, **data) -> StoreSettings:
    """Edit a store's settings (STORE_SETTINGS_FIELDS): the row is read locked, only what changed is written,
    checked against the model first (a bad value raises ValidationError, nothing is saved)."""
    store_settings_ensure(store=store)
    row = StoreSettings.objects.select_for_update().get(store=store)
    previous = copy.copy(row)
    row, changed = model_update(instance=row, fields=STORE_SETTINGS_FIELDS, data=data, clean_exclude=["store"])
    if changed:
        before, after = changes_of(row, changed, previous)
        audit.record(Action.STORE_BRANDING, tenant=store.tenant, target=store, before=before, after=after)
    return row
