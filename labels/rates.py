"""Rates for an order from every active label account of its tenant, asked at once (karrio's
`Rating.fetch(request).from_(gateway, gateway, …)`: a failing carrier's messages come back beside the others'
rates). What the parcel lacks is named instead of calling anyone (orders.parcels.order_parcel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext

from carriers.capabilities import extension_of
from carriers.gateway import gateway_for, mask, message_text, plain_error, secrets_of
from carriers.models import CarrierAccount, PackagePreset
from carriers.selectors import label_accounts
from orders.models import Order
from orders.parcels import order_parcel
from shipments.models import ShippingMethodMapping

_WORDS = {"ups": "UPS", "usps": "USPS", "fedex": "FedEx"}


def service_name(service: str) -> str:
    """karrio's service code in words: ups_2nd_day_air → UPS 2nd Day Air."""
    return " ".join(_WORDS.get(word, word[:1].upper() + word[1:]) for word in service.split("_"))


@dataclass
class Rate:
    account_id: int
    carrier: str  # Outbound's code: UPS, USPS, FedEx
    service: str  # karrio's code
    service_name: str
    price: Decimal
    currency: str
    delivery_days: int | None = None
    preselected: bool = False

    @property
    def key(self) -> str:
        return f"{self.account_id}:{self.service}"


@dataclass
class RatesAnswer:
    rates: list[Rate] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (carrier, its error in words)
    problems: list[str] = field(default_factory=list)  # what the parcel lacks; nobody was called
    no_accounts: bool = False

    @property
    def preselected(self) -> Rate | None:
        return next((r for r in self.rates if r.preselected), None)

    def find(self, account_id: int, service: str) -> Rate | None:
        return next((r for r in self.rates if r.account_id == account_id and r.service == service), None)


def _mapped(order: Order) -> ShippingMethodMapping | None:
    method = (order.shipping_method or "").strip()
    if not method:
        return None
    return (
        ShippingMethodMapping.objects.for_tenant(order.tenant_id)
        .filter(store_id=order.store_id, requested_method=method)
        .first()
    )


def _matches(mapping: ShippingMethodMapping, rate: Rate) -> bool:
    wanted = mapping.service.strip().lower()
    return mapping.carrier == rate.carrier and wanted in (rate.service.lower(), rate.service_name.lower())


@dataclass
class RatePlan:
    """What asking for rates needs, read from the database (rates_prepare): one karrio request per parcel
    with the gateways of its accounts. rates_fetch only talks to the carriers, so many plans can be fetched
    at once in threads (labels.batches: a batch's preview)."""

    answer: RatesAnswer
    groups: list = field(default_factory=list)  # [(parcel, [account], [gateway])]
    by_name: dict = field(default_factory=dict)


def rates_prepare(
    order: Order,
    package: PackagePreset | None = None,
    accounts: list[CarrierAccount] | None = None,
    gateways: dict | None = None,
):
    """`gateways`: {account id: its karrio gateway}, kept across the orders of a batch's preview."""
    gateways = {} if gateways is None else gateways
    accounts = list(label_accounts(tenant=order.tenant_id)) if accounts is None else accounts
    if not accounts:
        return RatePlan(answer=RatesAnswer(no_accounts=True))
    plan = RatePlan(answer=RatesAnswer())
    answer = plan.answer
    groups: dict = {}  # one karrio request per parcel (accounts with their own ship-from differ)
    parcels: dict = {}  # the parcel depends on the account only through its ship-from: read once for each
    for account in accounts:
        if account.ship_from_id not in parcels:
            parcels[account.ship_from_id] = order_parcel(order, package=package, account=account)
        outcome = parcels[account.ship_from_id]
        if not outcome.ok:
            answer.problems.extend(p for p in outcome.problems if p not in answer.problems)
            continue
        groups.setdefault(outcome.request, []).append(account)
    if answer.problems:
        return plan
    # One account per carrier in a tenant (carriers' constraint): karrio names each answer's carrier.
    plan.by_name = {extension_of(a.carrier): a for a in accounts}
    for parcel, group in groups.items():
        found = []
        for account in group:
            try:
                if account.pk not in gateways:
                    gateways[account.pk] = gateway_for(account)
                found.append(gateways[account.pk])
            except Exception:  # noqa: BLE001 - stores.crypto.CredentialError: the key cannot read them
                answer.errors.append((account.carrier, gettext("The account's credentials cannot be read.")))
        if found:
            plan.groups.append((parcel, group, found))
    return plan


def rates_fetch(plan: RatePlan) -> RatesAnswer:
    """Ask the carriers of a plan (no database): every account of a parcel at once."""
    import karrio.sdk as sdk

    from carriers.parcels import rate_request

    answer, by_name = plan.answer, plan.by_name
    for parcel, group, gateways in plan.groups:
        try:
            details, messages = sdk.Rating.fetch(rate_request(parcel)).from_(*gateways).parse()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
            answer.errors.extend((a.carrier, plain_error(exc)) for a in group)
            continue
        for detail in details:
            account = by_name.get(detail.carrier_name)
            if account is None or detail.total_charge is None:
                continue
            answer.rates.append(
                Rate(
                    account_id=account.pk,
                    carrier=account.carrier,
                    service=detail.service,
                    service_name=service_name(detail.service),
                    price=Decimal(str(detail.total_charge)).quantize(Decimal("0.01")),
                    currency=detail.currency or "USD",
                    delivery_days=detail.transit_days,
                )
            )
        said: dict[str, list[str]] = {}
        for message in messages:
            account = by_name.get(message.carrier_name)
            if account is None:
                continue
            said.setdefault(account.pk, []).append(mask(message_text(message), secrets_of(account)))
        for account_id, texts in said.items():
            account = next(a for a in group if a.pk == account_id)
            answer.errors.append((account.carrier, "; ".join(dict.fromkeys(texts))[:300]))
    answer.rates.sort(key=lambda r: (r.price, r.delivery_days or 99, r.carrier, r.service))
    return answer


def rates_for(order: Order, package: PackagePreset | None = None, accounts: list[CarrierAccount] | None = None):
    """Every label account's rates for `order`, cheapest first, each failing carrier's words beside them."""
    plan = rates_prepare(order, package=package, accounts=accounts)
    if plan.answer.no_accounts or plan.answer.problems:
        return plan.answer
    answer = rates_fetch(plan)
    mapping = _mapped(order)
    if mapping is not None:
        for rate in answer.rates:
            if _matches(mapping, rate):
                rate.preselected = True
                break
    return answer
