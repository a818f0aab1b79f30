"""Stores: the connect-store wizard, the store settings page, imports and their live progress.

Wizard (seven steps): 1–4 happen inside AmeriCommerce and are explained on the first
page; 5–6 are the connection form with "Test connection"; 7 is the status mapping. Nothing is saved
until the connection test says OK, and the password never sits in the session in clear: between
steps it is kept as a Fernet token (stores.crypto), the same as at rest.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from hooks.selectors import realtime_state
from orders.models import ImportTrigger, import_state_of
from orders.selectors import import_run_list, unmapped_status_list
from orders.services import import_request, reconcile_request, status_mapping_update, unmapped_status_add_to_mapping
from shipments.selectors import latest_shipment
from stores.connector import registry
from stores.forms import StatusMappingForm, duplicate_store_error
from stores.models import Platform, RestAuth, Road, StatusMapping, Store, StoreSettings
from stores.selectors import status_mapping_get, store_list, store_same_site, store_settings_get
from stores.services import (
    store_create,
    store_create_oauth,
    store_settings_update,
    store_switch_road,
    store_update,
)

from ..forms import (
    BrandingForm,
    ConnectRestForm,
    ConnectStoreForm,
    ImportSinceForm,
    NotificationsForm,
    ProductHandlingForm,
    StoreConnectionForm,
    SwitchToRestForm,
    SwitchToXmlForm,
    UnmappedAddForm,
)
from ..tenancy import forbidden, get_store_for_user, get_unmapped_status_for_user, portal_view
from .connection import result_context, test_store_connection
from .wizard import (
    WIZARD_KEY,
    connect_start_page,
    has_rest_road,
    oauth_available,
    oauth_tokens_from_session,
    wizard_draft_store,
    wizard_status_proposal,
)


@portal_view()
def store_index(request):
    stores = list(store_list(tenant=request.tenant).select_related("import_state"))
    return render(request, "portal/stores/list.html", {"stores": stores, "nav": "stores"})


@portal_view("manage_stores")
def connect_start(request):
    """Step 1: the roads (portal.views.wizard.connect_start_page)."""
    return connect_start_page(request)


def _wizard_road(request) -> str:
    """The road the details step is for: ?road=rest (API token) or xml (the ShipStation add-on, the default
    of a form that names none)."""
    road = request.POST.get("road") or request.GET.get("road") or Road.XML
    return road if road in (Road.XML, Road.REST) else Road.XML


def _connected_message(result, road: str) -> str:
    n = result.orders_found or 0
    if road == Road.REST:
        return ngettext(
            "Connected. The store's API answered (%(n)s order changed in the last five minutes).",
            "Connected. The store's API answered (%(n)s orders changed in the last five minutes).",
            n,
        ) % {"n": n}
    return ngettext(
        "Connected. The store answered with a ShipStation export (%(n)s order changed in the last five minutes).",
        "Connected. The store answered with a ShipStation export (%(n)s orders changed in the last five minutes).",
        n,
    ) % {"n": n}


@portal_view("manage_stores")
def connect_details(request):
    result = store = None
    road = _wizard_road(request)
    form_class = ConnectRestForm if road == Road.REST else ConnectStoreForm
    if request.method == "POST":
        form = form_class(request.POST)
        # A store connected already is refused before the store is asked; the form says which one it is.
        if form.is_valid() and not _refuse_duplicate(request, form, form.unsaved_store()):
            store = form.unsaved_store()
            result = test_store_connection(store)
            if result.ok:
                request.session[WIZARD_KEY] = {
                    "tenant_id": request.tenant.pk,
                    "platform": store.platform,
                    "road": store.road,
                    "rest_auth": store.rest_auth,
                    "name": store.name,
                    "url": store.url,
                    "username": store.username,
                    "endpoint_path": store.endpoint_path,
                    "secrets": store.secret_documents,  # encrypted, as the store keeps them
                }
                messages.success(request, _connected_message(result, road))
                return redirect("portal:connect_mapping")
    else:
        initial = {}
        saved = request.session.get(WIZARD_KEY)
        if saved and saved.get("tenant_id") == request.tenant.pk and saved.get("road", Road.XML) == road:
            initial = {k: saved[k] for k in ("name", "url", "username", "endpoint_path") if k in saved}
            initial["platform"] = saved.get("platform", Platform.AMERICOMMERCE)
        form = form_class(initial=initial)
    context = {
        "form": form,
        "nav": "stores",
        "step": 2,
        "result": result,
        "road": road,
        "oauth_available": bool(registry.oauth_platforms()),
    }
    if result is not None:
        context.update(result_context(result, store))
    return render(request, "portal/stores/connect_details.html", context)


@portal_view("manage_stores")
def connect_mapping(request):
    saved = request.session.get(WIZARD_KEY)
    if not saved or saved.get("tenant_id") != request.tenant.pk:
        messages.info(request, _("Enter and test the store's connection first."))
        return redirect("portal:connect_details")
    platform = saved.get("platform", Platform.AMERICOMMERCE)
    draft = Store(platform=platform)  # not saved: tells the mapping its platform's matching rule and defaults
    # The REST road's store lists its own statuses: the lists start from them, not from the defaults.
    proposal = wizard_status_proposal(request, saved)

    def draft_mapping():
        lists = (proposal or {}).get("mapping") or draft.connection.default_mapping
        return StatusMapping(store=draft, **lists)

    if request.method == "POST":
        form = StatusMappingForm(request.POST, instance=draft_mapping())
        since_form = ImportSinceForm(request.POST)
        if form.is_valid() and since_form.is_valid():
            try:
                store = _create_from_wizard(
                    request.tenant, saved, platform, {name: form.cleaned_data[name] for name in StatusMapping.FIELDS}
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                del request.session[WIZARD_KEY]
                import_request(store=store, trigger="manual", user=request.user, since=since_form.since_datetime())
                messages.success(
                    request, _("%(name)s is connected. The first import has started.") % {"name": store.name}
                )
                return redirect("portal:store_settings", store.pk)
    else:
        form = StatusMappingForm(instance=draft_mapping())
        since_form = ImportSinceForm()
    return render(
        request,
        "portal/stores/connect_mapping.html",
        {
            "form": form,
            "since_form": since_form,
            "saved": saved,
            "nav": "stores",
            "step": 3,
            "platform_name": draft.platform_name,
            "case_sensitive": draft.connection.case_sensitive,
            "proposal": proposal,
        },
    )


def _refuse_duplicate(request, form, store: Store) -> bool:
    """A store the tenant has connected already (the same site, by either road) is refused with a link to it."""
    same = store_same_site(tenant=request.tenant, url=store.url, platform=store.platform)
    if same is not None:
        form.add_error("url", duplicate_store_error(same, reverse("portal:store_settings", args=[same.pk])))
    return same is not None


def _create_from_wizard(tenant, saved: dict, platform: str, mapping: dict) -> Store:
    """The store the wizard's tested connection describes, on its road, with its secrets (kept encrypted in
    the session between the steps)."""
    same = store_same_site(tenant=tenant, url=saved["url"], platform=platform)
    if same is not None:  # connected meanwhile (another tab, another user)
        raise ValidationError(duplicate_store_error(same, reverse("portal:store_settings", args=[same.pk])))
    common = {"tenant": tenant, "name": saved["name"], "url": saved["url"], "platform": platform, "mapping": mapping}
    road = saved.get("road", Road.XML)
    if road == Road.REST and saved.get("rest_auth") == RestAuth.OAUTH:
        return store_create_oauth(oauth_tokens=oauth_tokens_from_session(platform, saved["oauth"]), **common)
    if road == Road.REST:
        return store_create(
            road=Road.REST,
            rest_auth=RestAuth.TOKEN,
            api_token=wizard_draft_store(saved).get_api_token(),
            **common,
        )
    return store_create(
        username=saved["username"],
        password=wizard_draft_store(saved).get_password(),
        endpoint_path=saved["endpoint_path"],
        **common,
    )


SECTIONS = {
    "connection": StoreConnectionForm,
    "mapping": StatusMappingForm,
    "branding": BrandingForm,
    "notifications": NotificationsForm,
    "products": ProductHandlingForm,
}


def _instance_for(section, store, store_settings):
    if section == "connection":
        return store
    if section == "mapping":
        return status_mapping_get(store=store)
    return store_settings


# Changing any of these can break the connection: a save that changes one tests the connection first.
CONNECTION_FIELDS = ("url", "endpoint_path", "username", "password", "api_token")


def _connection_check(request, form) -> dict | None:
    """Test the connection the connection form describes (typed values; a blank password keeps the
    saved one), as the wizard does. None when the form may be saved; else what the page shows: the
    result, and whether "save anyway" is offered. "Test connection" only tests, and never saves."""
    testing = "test_connection" in request.POST
    if not testing and not set(CONNECTION_FIELDS) & set(form.changed_data):
        return None
    store = form.save(commit=False)
    result = test_store_connection(store)
    if result.ok and not testing:
        return None
    if result.ok:
        messages.success(request, result.message)
        return {}  # the page again, with what was typed (unsaved)
    if not testing and request.POST.get("save_anyway"):
        messages.warning(
            request, _("Saved although the connection test failed. Imports will fail until the store answers.")
        )
        return None
    return {**result_context(result, store), "offer_save_anyway": not testing}


@portal_view()
def store_settings(request, pk):
    store = get_store_for_user(request, pk)
    settings_obj = store_settings_get(store=store)
    forms = {
        name: cls(instance=_instance_for(name, store, settings_obj), prefix=name) for name, cls in SECTIONS.items()
    }
    extra = {}
    if request.method == "POST":
        if not request.membership.can("manage_stores"):
            return forbidden(request, "manage_stores")
        if store.is_disconnected:
            messages.error(request, _("This store is disconnected: connect it again to change its settings."))
            return redirect(reverse("portal:store_settings", args=[store.pk]) + "#lifecycle")
        section = request.POST.get("section")
        if section == "road":
            switched = _switch_road(request, store)
            if not isinstance(switched, dict):
                return switched
            extra = switched
            section = None
        elif section not in SECTIONS:
            raise Http404("No such section.")
    if request.method == "POST" and section is not None:
        # The connection form works on a copy: a refused save must leave the page showing the saved store.
        instance = copy.copy(store) if section == "connection" else _instance_for(section, store, settings_obj)
        form = SECTIONS[section](request.POST, instance=instance, prefix=section)
        if form.is_valid():
            check = _connection_check(request, form) if section == "connection" else None
            if check is None:
                try:
                    remapped = _save_section(request, section, form, store, instance)
                except ValidationError as exc:
                    form.add_error(None, exc.messages)
                    messages.error(request, _("Please correct the errors below."))
                else:
                    messages.success(request, _("Saved."))
                    if remapped:
                        messages.success(
                            request, _("Orders skipped for a status that is mapped now are being imported.")
                        )
                    return redirect(reverse("portal:store_settings", args=[store.pk]) + f"#{section}")
            else:
                extra = check
        else:
            messages.error(request, _("Please correct the errors below."))
        forms[section] = form
    if "switch_form" not in extra:
        extra["switch_form"] = _switch_form(store)
    return render(
        request,
        "portal/stores/settings.html",
        {
            **extra,
            "road_label": road_label(store),
            "realtime": realtime_state(store=store),
            "oauth_available": oauth_available(store),
            "store": store,
            "settings": settings_obj,
            "forms": forms,
            "unmapped": list(unmapped_status_list(tenant=request.tenant, store_id=store.pk)),
            "unmapped_form": UnmappedAddForm(),
            "runs": list(import_run_list(tenant=request.tenant, store_id=store.pk)[:20]),
            "since_form": ImportSinceForm(),
            "has_shipment": latest_shipment(tenant=request.tenant, store=store) is not None,
            "can_manage": request.membership.can("manage_stores"),
            "nav": "stores",
        },
    )


def road_label(store) -> str:
    """Which road a store is reached by, in the merchant's words."""
    if store.road == Road.REST:
        return (
            _("AmeriCommerce API, with the OAuth app")
            if store.rest_auth == RestAuth.OAUTH
            else _("AmeriCommerce API, with an API token")
        )
    return _("ShipStation add-on, with a username and password")


def _switch_form(store, data=None):
    """The form that moves a store to the other road: REST (an API token) from the XML road, the
    ShipStation add-on (username, password) from the REST road. None: the platform has one road only."""
    if store.road == Road.REST:
        return SwitchToXmlForm(
            data,
            prefix="road",
            store=store,
            initial={
                "username": store.username,
                "endpoint_path": store.endpoint_path or store.connection.endpoint_path,
            },
        )
    if not has_rest_road(store):
        return None
    return SwitchToRestForm(data, prefix="road")


def _switch_road(request, store):
    """Move the store to the other road once the connection over it tests OK: a redirect when switched,
    else what the page shows (the bound form, the test's result)."""
    form = _switch_form(store, request.POST)
    if form is None:
        raise Http404("This store's platform has one road only.")
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return {"switch_form": form}
    data = form.cleaned_data
    candidate = copy.copy(store)  # tested unsaved: a refused switch leaves the store as it was
    if store.road == Road.REST:
        change = {
            "road": Road.XML,
            "username": data["username"],
            "password": data["password"] or None,
            "endpoint_path": data["endpoint_path"] or store.connection.endpoint_path or "",
        }
        candidate.road, candidate.username = Road.XML, data["username"]
        candidate.endpoint_path = change["endpoint_path"]
        if data["password"]:
            candidate.set_password(data["password"])
    else:
        change = {"road": Road.REST, "rest_auth": RestAuth.TOKEN, "api_token": data["api_token"]}
        candidate.road, candidate.rest_auth = Road.REST, RestAuth.TOKEN
        candidate.set_api_token(data["api_token"])
    result = test_store_connection(candidate)
    if not result.ok:
        context = result_context(result, candidate)
        return {"switch_form": form, **{f"switch_{k}": v for k, v in context.items()}}
    try:
        store_switch_road(store=store, **change)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return {"switch_form": form}
    messages.success(
        request,
        _(
            "%(name)s is now reached through: %(road)s. Its orders and import history are kept; "
            "the next import carries on from where the last one stopped."
        )
        % {"name": store.name, "road": road_label(store)},
    )
    return redirect(reverse("portal:store_settings", args=[store.pk]) + "#road")


def _save_section(request, section, form, store, instance) -> bool:
    """Save one section of the store settings page, through the services for the store and its mapping.
    True when a mapping change started an import of orders skipped for a status mapped now."""
    if section == "connection":
        store_update(
            store=instance, password=form.new_password(), api_token=form.new_api_token(), **form.store_fields()
        )
    elif section == "mapping":
        lists = {name: form.cleaned_data[name] for name in StatusMapping.FIELDS}
        return status_mapping_update(store=store, lists=lists, user=request.user).run is not None
    else:
        store_settings_update(store=store, **{name: form.cleaned_data[name] for name in form._meta.fields})
    return False


def _disconnected(request, store):
    messages.error(request, _("This store is disconnected: connect it again to import its orders."))
    return redirect(reverse("portal:store_settings", args=[store.pk]) + "#lifecycle")


@portal_view("manage_stores")
@require_POST
def store_import_now(request, pk):
    store = get_store_for_user(request, pk)
    if store.is_disconnected:
        return _disconnected(request, store)
    since = None
    if not import_state_of(store).import_watermark:
        since_form = ImportSinceForm(request.POST)
        since = since_form.since_datetime() if since_form.is_valid() else None
    run = import_request(store=store, trigger="manual", user=request.user, since=since)
    messages.success(request, _("Import started."))
    return redirect(reverse("portal:store_settings", args=[store.pk]) + f"?run={run.pk}#imports")


@portal_view("manage_stores")
@require_POST
def store_reconcile(request, pk):
    """The reconciliation sweep, now: compare the store's last days with what Outbound holds."""
    store = get_store_for_user(request, pk)
    if store.is_disconnected:
        return _disconnected(request, store)
    run = reconcile_request(store=store, user=request.user)
    if run.trigger != ImportTrigger.RECONCILE:
        messages.info(request, _("An import of this store is already under way; sweep again when it has finished."))
    else:
        messages.success(request, _("Reconciliation sweep started."))
    return redirect(reverse("portal:store_settings", args=[store.pk]) + f"?run={run.pk}#imports")


@portal_view("manage_stores")
@require_POST
def unmapped_add(request, pk, unmapped_pk):
    store = get_store_for_user(request, pk)
    unmapped = get_unmapped_status_for_user(request, store, unmapped_pk)
    form = UnmappedAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an Outbound status."))
        return redirect(reverse("portal:store_settings", args=[store.pk]) + "#mapping")
    try:
        run = unmapped_status_add_to_mapping(
            unmapped=unmapped, outbound_status=form.cleaned_data["outbound_status"], user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("portal:store_settings", args=[store.pk]) + "#mapping")
    messages.success(
        request, _("“%(status)s” is now mapped; its orders are being imported.") % {"status": unmapped.status}
    )
    return redirect(reverse("portal:store_settings", args=[store.pk]) + f"?run={run.pk}#imports")


@portal_view()
@xframe_options_sameorigin
def email_preview(request, pk):
    """The real buyer e-mail of the store's latest shipment, with the branding being typed (if valid), in the
    store's buyer language or `lang` (en, fr).

    Shown in an iframe on the settings page (refreshed as the merchant types) and on the notices page."""
    import datetime as dt

    from django.utils import timezone

    from shipments.emails import email_context, render_shipment_email
    from shipments.models import EmailKind

    store = get_store_for_user(request, pk)
    shipment = latest_shipment(tenant=request.tenant, store=store)
    if shipment is None:
        raise Http404("No shipment to preview yet.")
    kind = request.GET.get("kind", EmailKind.SHIPMENT_CONFIRMATION)
    if kind not in EmailKind.values:
        raise Http404("No such e-mail.")
    # The "estimated delivery changed" e-mail shows a date three days on (the carrier's, when it sends one).
    context = email_context(shipment=shipment, estimated_delivery=timezone.localdate() + dt.timedelta(days=3))
    settings_obj = store_settings_get(store=store)
    branding = BrandingForm(
        {f"branding-{k}": request.GET.get(k, getattr(settings_obj, k)) for k in BrandingForm.Meta.fields},
        prefix="branding",
        instance=StoreSettings(store=store),
    )
    if branding.is_valid():
        data = branding.cleaned_data
        context.update(
            {
                "company_name": data["company_name"] or store.name,
                "logo_url": data["logo_url"],
                "accent_colour": data["accent_colour"],
                "website": data["website"],
                "phone": data["phone"],
                "reply_to": data["reply_to"],
            }
        )
    _, _, html = render_shipment_email(shipment=shipment, kind=kind, language=request.GET.get("lang"), context=context)
    return HttpResponse(html)


# The four buyer notices in the order a parcel meets them, each with the setting that switches it on.
NOTICES = [
    ("shipment_confirmation", "send_shipment_confirmation"),
    ("estimated_delivery", "send_estimated_delivery"),
    ("out_for_delivery", "send_out_for_delivery"),
    ("delivery_notice", "send_delivery_notice"),
]


@portal_view()
def store_notices(request, pk):
    """The four buyer notices of the store, rendered with its latest shipment in English and in French
    (docs/tracking-page.md#notices): what the buyer receives, and whether each is switched on."""
    from shipments.emails import tracking_page_url
    from shipments.models import EmailKind

    store = get_store_for_user(request, pk)
    shipment = latest_shipment(tenant=request.tenant, store=store)
    settings_obj = store_settings_get(store=store)
    labels = {
        EmailKind.SHIPMENT_CONFIRMATION: _("Shipment confirmation"),
        EmailKind.ESTIMATED_DELIVERY: _("Estimated delivery changed"),
        EmailKind.OUT_FOR_DELIVERY: _("Out for delivery"),
        EmailKind.DELIVERY_NOTICE: _("Delivery notice"),
    }
    notices = [{"kind": kind, "label": labels[kind], "on": getattr(settings_obj, setting)} for kind, setting in NOTICES]
    context = {
        "store": store,
        "shipment": shipment,
        "notices": notices,
        "languages": [("en", "English"), ("fr", "Français")],
        "tracking_page": tracking_page_url(shipment) if shipment else "",
        "lookup_path": reverse("trackpage:lookup", args=[store.tracking_slug]) if store.tracking_slug else "",
    }
    return render(request, "portal/stores/notices.html", context)
