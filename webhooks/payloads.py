"""What a webhook carries for an object: built by whoever registered a builder for its model.

The payload of an order or shipment event is "the object as the API shows it", so the API registers its
serializers here (api.apps.ApiConfig.ready). The registry is explicit, not signals: this module imports
no app above it, and an event for a model nobody registered fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db import models


class PayloadBuilder(NamedTuple):
    # The payload (JSON-able) of one object.
    one: Callable[[models.Model], dict]
    # {pk: payload} for the objects of one tenant with these ids, in a constant number of queries.
    many: Callable[[int, Iterable[int]], dict[int, dict]] | None = None
    # {pk: payload} for objects already loaded as the database holds them, with the related rows the
    # payload shows in their prefetch cache (an import page's new orders, built from the rows it just
    # wrote): no query.
    loaded: Callable[[Iterable[models.Model]], dict[int, dict]] | None = None


_BUILDERS: dict[str, PayloadBuilder] = {}


def register_payload_builder(
    model: str,
    *,
    one: Callable[[Any], dict],
    many: Callable[[int, Iterable[int]], dict[int, dict]] | None = None,
    loaded: Callable[[Iterable[Any]], dict[int, dict]] | None = None,
) -> None:
    """Register how events about `model` ("app_label.modelname") are serialised."""
    _BUILDERS[model.lower()] = PayloadBuilder(one=one, many=many, loaded=loaded)


def _builder(model: str) -> PayloadBuilder:
    try:
        return _BUILDERS[model.lower()]
    except KeyError:
        raise LookupError(f"No webhook payload builder is registered for {model!r}.") from None


def payload_for(obj: models.Model) -> dict:
    return _builder(obj._meta.label_lower).one(obj)


def payloads_for(model: str, *, tenant_id: int, ids: Iterable[int]) -> dict[int, dict]:
    builder = _builder(model)
    if builder.many is None:
        raise LookupError(f"The webhook payload builder for {model!r} cannot build many payloads.")
    return builder.many(tenant_id, ids)


def payloads_loaded(model: str, objects: Iterable[models.Model]) -> dict[int, dict]:
    builder = _builder(model)
    if builder.loaded is None:
        raise LookupError(f"The webhook payload builder for {model!r} cannot build payloads of loaded objects.")
    return builder.loaded(objects)
