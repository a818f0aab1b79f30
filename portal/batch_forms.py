"""Forms of the batch pages: ship many orders at once, map a CSV file's columns."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shipments.batch import ShipRow
from shipments.csv_import import DATE_ORDER, FIELDS, REQUIRED
from shipments.models import ShippingMethodMapping, carrier_named_in

from .batch_labels import FIELD_LABELS
from .forms import DateInput
from .labels import carrier_choices, carrier_label


@dataclass
class RowRequest:
    """What a row's order asked for: its store's mapping of its requested method, else the carrier the
    method names ("UPS Ground"), else nothing known."""

    mapping: ShippingMethodMapping | None
    carrier: str | None

    @property
    def carrier_label(self) -> str:
        return carrier_label(self.carrier) if self.carrier else ""


class BatchShipForm(forms.Form):
    """Each order starts from its requested method as the store's mapping gives it (carrier and service per
    row); a default carrier and service for the orders without a mapping, a ship date for all, a tracking
    number per order, typed per row or pasted one per line. The default never teaches the mapping: only a
    carrier or service a person changed on a row does, as on the single ship form."""

    batch_key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    carrier = forms.ChoiceField(
        label=_("Default carrier"),
        choices=carrier_choices,
        help_text=_("For the orders whose requested method has no mapping yet; it does not change the mapping."),
    )
    service = forms.CharField(
        label=_("Default service"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Priority Mail")}),
    )
    ship_date = forms.DateField(label=_("Ship date"), widget=DateInput(), initial=timezone.localdate)
    notify_buyer = forms.BooleanField(label=_("Notify the buyers"), required=False, initial=True)
    tracking_paste = forms.CharField(
        label=_("Paste tracking numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_(
            "One per line, in the order of the list below: they fill the orders whose tracking number is empty."
        ),
    )

    def __init__(self, *args, orders=(), mappings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        mappings = mappings or {}
        self.requests = {
            order.pk: RowRequest(
                mapping=mappings.get(order.pk),
                carrier=mappings[order.pk].carrier if order.pk in mappings else carrier_named_in(order.shipping_method),
            )
            for order in self.orders
        }
        row_carriers = [("", _("Default carrier"))] + carrier_choices()
        for order in self.orders:
            mapping = self.requests[order.pk].mapping
            self.fields[f"carrier_{order.pk}"] = forms.ChoiceField(
                label=_("Carrier for order %(number)s") % {"number": order.number},
                choices=row_carriers,
                required=False,
                initial=mapping.carrier if mapping else "",
            )
            self.fields[f"service_{order.pk}"] = forms.CharField(
                label=_("Service for order %(number)s") % {"number": order.number},
                max_length=50,
                required=False,
                initial=mapping.service if mapping else "",
            )
            self.fields[f"tracking_{order.pk}"] = forms.CharField(
                label=_("Tracking number for order %(number)s") % {"number": order.number},
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            )

    def rows_for_template(self):
        """(order, carrier field, service field, tracking field, its request, the carrier the row ships with
        as the form stands, whether that differs from the carrier the order asked for)."""
        # Unbound and without an initial value, the select shows its first carrier: that is the default.
        default = self["carrier"].value() or next(iter(self.fields["carrier"].choices), ("", ""))[0]
        rows = []
        for order in self.orders:
            carrier = self[f"carrier_{order.pk}"]
            request = self.requests[order.pk]
            shipping = carrier.value() or default
            differs = bool(request.carrier and shipping and shipping != request.carrier)
            rows.append((order, carrier, self[f"service_{order.pk}"], self[f"tracking_{order.pk}"], request, differs))
        return rows

    def clean(self):
        cleaned = super().clean()
        pasted = [line.strip() for line in (cleaned.get("tracking_paste") or "").splitlines() if line.strip()]
        empty = [o for o in self.orders if not (cleaned.get(f"tracking_{o.pk}") or "").strip()]
        if pasted:
            if len(pasted) != len(empty):
                self.add_error(
                    "tracking_paste",
                    _("%(pasted)s tracking numbers pasted for %(empty)s orders without one: paste one per order.")
                    % {"pasted": len(pasted), "empty": len(empty)},
                )
            else:
                for order, number in zip(empty, pasted, strict=True):
                    cleaned[f"tracking_{order.pk}"] = number
        return cleaned

    def rows(self) -> list[ShipRow]:
        data, changed = self.cleaned_data, set(self.changed_data)
        rows = []
        for order in self.orders:
            own_carrier = data.get(f"carrier_{order.pk}") or ""
            own_service = (data.get(f"service_{order.pk}") or "").strip()
            default_service = (data.get("service") or "").strip()
            rows.append(
                ShipRow(
                    order=order,
                    carrier=own_carrier or data["carrier"],
                    service=own_service or default_service,
                    tracking_number=(data.get(f"tracking_{order.pk}") or "").strip(),
                    ship_date=data["ship_date"],
                    # Only what a person chose on this row teaches the mapping; a default never does.
                    learn_method=bool(own_carrier)
                    and bool(changed & {f"carrier_{order.pk}", f"service_{order.pk}"})
                    and not (default_service and not own_service),
                )
            )
        return rows


class ColumnMappingForm(forms.Form):
    """Which column of the file holds each field (guessed from the headers, editable; the required ones
    marked so), and how its ship dates are written."""

    def __init__(self, *args, headers=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [(str(i), h or f"#{i + 1}") for i, h in enumerate(headers)]
        for name in FIELDS:
            self.fields[name] = forms.TypedChoiceField(
                label=FIELD_LABELS[name],
                choices=choices,
                required=name in REQUIRED,
                coerce=int,
                empty_value=None,
                help_text=_("For an order number used in two stores: the store's name.") if name == "store" else "",
            )
        self.fields[DATE_ORDER] = forms.ChoiceField(
            label=_("Ship date format"),
            choices=[
                ("", _("Detect from the file")),
                ("dmy", _("Day first: 31/12/2026")),
                ("mdy", _("Month first: 12/31/2026")),
            ],
            required=False,
        )

    def mapping(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in (*FIELDS, DATE_ORDER)}


class TrackingFileForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: order number, carrier, service, tracking number, ship date, fee, and the store for an "
            "order number two stores share (a header line first; you map the columns on the next step)."
        ),
    )
