"""What every endpoint shares: tenant scoping, pagination, the error format, throttling, idempotency."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from rest_framework import exceptions, relations, serializers, status, viewsets
from rest_framework.fields import SkipField
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .models import IdempotencyRecord
from .plumbing import payload_too_large

# --- tenant scoping ---------------------------------------------------------------------------------


class TenantViewSetMixin:
    """`get_queryset` is always `model.objects.for_tenant(request.tenant)`; subclasses refine it in
    `scope(qs)` and cannot replace it (a subclass defining get_queryset is refused at import)."""

    model = None
    write_permission = "ship"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must refine scope(), not replace get_queryset().")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scope(self.model.objects.for_tenant(self.request.tenant))

    def scope(self, queryset):
        return queryset


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that only accepts the caller's tenant's objects (others are "does not exist")."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        if not kwargs.get("read_only"):
            kwargs["queryset"] = model.objects.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None)
        return self.model.objects.for_tenant(tenant)


# --- one error format -------------------------------------------------------------------------------


def _error(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def exception_handler(exc, context):
    """Every error is {"error": {"code", "message", "details"}}."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        exc = payload_too_large()
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        first = _first_message(details)
        response.data = _error("invalid", first or "The request is invalid.", details)
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        details = {"wait_seconds": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait else {}
        response.data = _error(str(code), str(exc.detail), details)
    return response


def _first_message(details) -> str:
    if isinstance(details, dict):
        for key, value in details.items():
            message = _first_message(value)
            if message:
                return message if key == "non_field_errors" else f"{key}: {message}"
    elif isinstance(details, list):
        for value in details:
            message = _first_message(value)
            if message:
                return message
    elif details:
        return str(details)
    return ""


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This conflicts with another request."


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request."


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


# --- idempotency ------------------------------------------------------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_WAIT_SECONDS = 10.0


class IdempotentMixin:
    """POSTs with an `Idempotency-Key` header run once per (tenant, key), as Stripe's do.

    The record row is inserted first, in the transaction that does the work: a concurrent duplicate
    blocks on the unique index until the first commits, then replays its response. Same key with a
    different method, path or body is refused (422). A 5xx rolls everything back, so a retry may run.
    Fields named in `idempotency_secret_fields` (a secret shown once) are kept masked in the record: a
    replay shows the masked form, and no secret is ever stored in clear.
    """

    idempotency_secret_fields: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method == "POST" and key is not None and getattr(request, "tenant", None) is not None:
            if not 1 <= len(key) <= 255 or not key.isprintable():
                raise exceptions.ValidationError(
                    {IDEMPOTENCY_HEADER: ["Use 1 to 255 printable characters (no control characters)."]}
                )
            handler = self.post
            self.post = lambda req, *a, **kw: self._idempotent(req, key, handler, *a, **kw)

    def _fingerprint(self, request) -> str:
        body = json.dumps(request.data, sort_keys=True, default=str)
        return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()

    def _idempotent(self, request, key, handler, *args, **kwargs):
        fingerprint = self._fingerprint(request)
        deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
        while True:
            try:
                with transaction.atomic():
                    try:
                        with transaction.atomic():
                            record = IdempotencyRecord.objects.create(
                                tenant=request.tenant,
                                key=key,
                                fingerprint=fingerprint,
                                method=request.method,
                                path=request.path[:500],
                            )
                    except IntegrityError:
                        record = None
                    if record is not None:
                        return self._run_and_record(request, record, handler, *args, **kwargs)
            except _RolledBack as rolled_back:
                return rolled_back.response
            existing = IdempotencyRecord.objects.for_tenant(request.tenant).filter(key=key).first()
            if existing is None:
                continue  # the first attempt rolled back (5xx) between our insert and our read
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            if existing.status_code is not None:
                response = Response(existing.response_body, status=existing.status_code)
                response["Idempotent-Replayed"] = "true"
                return response
            if time.monotonic() > deadline:
                raise Conflict("A request with this Idempotency-Key is still being processed; retry later.")
            time.sleep(0.05)

    def _run_and_record(self, request, record, handler, *args, **kwargs):
        try:
            response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        if response.status_code >= 500:
            raise _RolledBack(response)
        body = None
        if getattr(response, "data", None) is not None:
            body = mask_secrets(json.loads(JSONRenderer().render(response.data)), self.idempotency_secret_fields)
        record.status_code = response.status_code
        record.response_body = body
        record.save(update_fields=["status_code", "response_body"])
        return response


def mask_secret(value: str) -> str:
    """A secret as a replay may show it: its prefix and last four characters."""
    prefix = value.split("_", 1)[0] + "_" if "_" in value[:10] else ""
    return f"{prefix}…{value[-4:]}" if len(value) > len(prefix) + 8 else "…"


def mask_secrets(body, fields: tuple[str, ...]):
    if isinstance(body, dict) and fields:
        return {k: mask_secret(v) if k in fields and isinstance(v, str) else v for k, v in body.items()}
    return body


class _RolledBack(Exception):
    def __init__(self, response):
        super().__init__("rolled back")
        self.response = response


class ReadListSerializer(serializers.ListSerializer):
    """A page of rows as DRF's ListSerializer writes it, byte for byte, at a fraction of the cost.

    DRF turns each row into a dict field by field through three generic calls (`get_attribute`, a None
    check, `to_representation`), which is most of a list's time (a 100-order page: ~25 ms of ~30 ms in
    process). Here each field is compiled once per page into one reader: a plain column of the model is read
    with `getattr`, a related id with `serializable_value`, a string, choice, boolean or integer as DRF
    would write it, an aware date-time converted to the field's time zone and written in ISO 8601 (with
    DRF's "Z"). Anything else (decimals, nested serializers, method fields, dotted sources) goes through the
    field itself, exactly as DRF does. A child serializer that writes rows its own way (overrides
    `to_representation`) is left to DRF. tests/api/test_read_list.py compares both on every list.
    """

    def to_representation(self, data):
        child = self.child
        if type(child).to_representation is not serializers.Serializer.to_representation:
            return super().to_representation(data)
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        model = getattr(getattr(child, "Meta", None), "model", None)
        readers = [(field.field_name, _reader(field, model)) for field in child._readable_fields]
        rows = []
        for item in iterable:
            row = {}
            for name, read in readers:
                value = read(item)
                if value is not _SKIP:
                    row[name] = value
            rows.append(row)
        return rows


_SKIP = object()
_STRINGS = (serializers.CharField, serializers.EmailField, serializers.SlugField)


def _reader(field, model):
    """One function from a row to the field's JSON value, as `Serializer.to_representation` would give it."""
    kind = type(field)
    attrs = field.source_attrs
    plain = model is not None and len(attrs) == 1 and _plain_attribute(model, attrs[0])
    if (
        plain
        and isinstance(field, relations.PrimaryKeyRelatedField)
        and field.pk_field is None
        and field.use_pk_only_optimization()
    ):
        source = attrs[0]
        return lambda row: row.serializable_value(source)
    if plain and kind in _STRINGS:
        return _column(attrs[0], lambda value: value if type(value) is str else str(value))
    if plain and kind is serializers.BooleanField:
        return _column(attrs[0], lambda value: value if type(value) is bool else field.to_representation(value))
    if plain and kind is serializers.IntegerField:
        return _column(attrs[0], int)
    if plain and kind is serializers.ChoiceField:
        choices = field.choice_strings_to_values
        return _column(attrs[0], lambda value: value if value == "" else choices.get(str(value), value))
    if plain and kind is serializers.DateTimeField and _iso_8601(field):
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()

        def iso(value):
            if zone is None or not isinstance(value, dt.datetime) or value.tzinfo is None:
                return field.to_representation(value)
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return _column(attrs[0], iso)
    return _generic(field)


def _plain_attribute(model, name: str) -> bool:
    """`name` is a concrete column of `model` (or its relation's id) or a property: read with `getattr`,
    never a callable DRF would call."""
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a model field: maybe a property
        return isinstance(getattr(model, name, None), property)
    return model_field.concrete and not model_field.many_to_many


def _column(name: str, write):
    def read(row):
        value = getattr(row, name)
        return None if value is None else write(value)

    return read


def _iso_8601(field) -> bool:
    from rest_framework.settings import api_settings

    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return isinstance(output_format, str) and output_format.lower() == "iso-8601"


def _generic(field):
    def read(row):
        try:
            attribute = field.get_attribute(row)
        except SkipField:
            return _SKIP
        check = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return read


class ModelSerializer(serializers.ModelSerializer):
    """Blank-able fields are described so the schema allows the "" they may hold: read-only choice
    fields keep their blank choice, and a blank URL field is a string, not a `uri`. Many rows are written by
    `ReadListSerializer` unless a serializer's Meta names its own `list_serializer_class`."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and not hasattr(meta, "list_serializer_class"):
            meta.list_serializer_class = ReadListSerializer

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_class is serializers.URLField and model_field.blank:
            field_class = serializers.CharField
        return field_class, kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank = kwargs.get("allow_blank")
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank and kwargs.get("read_only") and "choices" in kwargs:
            kwargs["allow_blank"] = True
        return kwargs


class ApiViewSet(IdempotentMixin, TenantViewSetMixin, viewsets.GenericViewSet):
    pass
