"""Pagination, throttling and the JSON parser, kept apart from views so DRF settings can import them early."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import exceptions, parsers, status
from rest_framework.pagination import BasePagination, PageNumberPagination, _positive_int
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.urls import remove_query_param, replace_query_param

# --- parsing ----------------------------------------------------------------------------------------


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; JSON nested too deep to read is a 400 in the API's format, not a crash. (A body
    over DATA_UPLOAD_MAX_MEMORY_SIZE is turned into PayloadTooLarge by api.base.exception_handler.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None


def payload_too_large() -> PayloadTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return PayloadTooLarge(f"The request body is larger than {limit:,} bytes, the most the API accepts.")


# --- pagination -------------------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# How far page numbers reach, in rows, and the most a list counts: a page past it is refused (an OFFSET
# that deep reads and throws away every row before it), and `count` stops there (`count_capped` says so).
PAGE_NUMBER_WINDOW = 10_000


class KeysetPagination(BasePagination):
    """Lists that cost the same on the first page of a thousand rows and the last of a million.

    Pages are keyset (cursor) pages on the list's ordering plus `id`: `next` and `previous` are links with
    an opaque `cursor` (the position of the page's last or first row, and the ordering it belongs to); a
    row inserted meanwhile never shifts a page. `?page=N` still works within the first
    PAGE_NUMBER_WINDOW rows (an OFFSET that short is cheap; past it is a 400 that says to follow `next`),
    and `?page=last` is the last page (the ordering reversed, no OFFSET). `count` is counted up to
    PAGE_NUMBER_WINDOW (`count_capped` is true when there are more), never over the tenant's whole table.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"
    page_query_param = "page"
    window = PAGE_NUMBER_WINDOW

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = self._page_size(request)
        self.ordering = keyset_ordering(queryset)
        ordered = queryset.order_by(*self.ordering)
        self.count, self.count_capped = capped_count(ordered, self.window)
        cursor = request.query_params.get(self.cursor_query_param)
        page = request.query_params.get(self.page_query_param)
        self.page_number = None
        if cursor is not None:
            position, reverse = decode_cursor(cursor, self.ordering, queryset.model)
            rows = self._seek(ordered, position, reverse)
        elif page == "last":
            rows = self._seek(ordered, None, reverse=True)
        elif page is not None:
            rows = self._numbered(ordered, page)
        else:
            rows = self._seek(ordered, None, reverse=False)
        return rows

    # -- the three ways to a page --

    def _seek(self, ordered, position, reverse):
        """The page after `position` (before it when `reverse`), `position` None: the first (last) page."""
        ordering = reversed_ordering(self.ordering) if reverse else self.ordering
        qs = ordered.order_by(*ordering)
        if position is not None:
            qs = qs.filter(keyset_after(ordering, position))
        rows = list(qs[: self.size + 1])
        more = len(rows) > self.size
        rows = rows[: self.size]
        if reverse:
            rows.reverse()
            self.has_next, self.has_previous = position is not None, more
        else:
            self.has_next, self.has_previous = more, position is not None
        self.rows = rows
        return rows

    def _numbered(self, ordered, text):
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise exceptions.ValidationError({"page": ["A page is a whole number from 1, or `last`."]})
        number = int(text)
        start = (number - 1) * self.size
        if start >= self.window:
            raise exceptions.ValidationError(
                {
                    "page": [
                        f"Page numbers reach the first {self.window:,} results (page {-(-self.window // self.size)} "
                        f"at {self.size} per page). Follow the `next` link (a cursor) to go further, or ask for "
                        "`page=last`."
                    ]
                }
            )
        rows = list(ordered[start : start + self.size + 1])
        self.has_next = len(rows) > self.size
        self.has_previous = number > 1
        self.page_number = number
        self.rows = rows[: self.size]
        return self.rows

    # -- the answer --

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_capped": self.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if not self.has_next or not self.rows:
            return None
        number = self.page_number
        if number is not None and number * self.size < self.window:
            return self._link(page=number + 1)
        return self._link(cursor=encode_cursor(self.rows[-1], self.ordering, reverse=False))

    def get_previous_link(self):
        if not self.has_previous or not self.rows:
            return None
        if self.page_number is not None:
            return self._link(page=self.page_number - 1)
        return self._link(cursor=encode_cursor(self.rows[0], self.ordering, reverse=True))

    def _link(self, *, page=None, cursor=None):
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.page_query_param)
        url = remove_query_param(url, self.cursor_query_param)
        if page is not None:
            return replace_query_param(url, self.page_query_param, page)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def _page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        try:
            return _positive_int(text, strict=True, cutoff=self.max_page_size)
        except (KeyError, ValueError):
            return self.page_size

    # -- the schema --

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_capped", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "example": 123,
                    "description": f"The matching rows, counted up to {self.window:,}.",
                },
                "count_capped": {
                    "type": "boolean",
                    "description": f"True when more than {self.window:,} rows match (`count` stops there).",
                },
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The position to continue from, as given in a `next` or `previous` link "
                "(opaque). Pages by cursor stay fast and stable however deep the list goes.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": f"A page number, within the first {self.window:,} results (past them: a 400; "
                "follow `next`), or `last` for the last page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}, at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]


def keyset_ordering(queryset) -> tuple[str, ...]:
    """The queryset's ordering, ending with the primary key so that every position is unique."""
    ordering = [str(term) for term in (queryset.query.order_by or queryset.model._meta.ordering)]
    names = [term.lstrip("-") for term in ordering]
    if "id" not in names and "pk" not in names:
        ordering.append("-id" if ordering and ordering[-1].startswith("-") else "id")
    return tuple("-id" if term == "-pk" else "id" if term == "pk" else term for term in ordering)


def reversed_ordering(ordering) -> tuple[str, ...]:
    return tuple(term[1:] if term.startswith("-") else f"-{term}" for term in ordering)


def keyset_after(ordering, position) -> Q:
    """The rows after `position` in `ordering` (lexicographic): (a, b) after (x, y) is a > x, or a = x and
    b > y (for a descending term, <). The leading term's own bound (a >= x) is added so an index on the
    ordering is entered at the position, not scanned from its start."""
    condition = Q()
    equal = Q()
    for term, value in zip(ordering, position, strict=True):
        name = term.lstrip("-")
        op = "lt" if term.startswith("-") else "gt"
        condition |= equal & Q(**{f"{name}__{op}": value})
        equal &= Q(**{name: value})
    lead = ordering[0]
    return Q(**{f"{lead.lstrip('-')}__{'lte' if lead.startswith('-') else 'gte'}": position[0]}) & condition


def capped_count(queryset, cap: int) -> tuple[int, bool]:
    """(rows, True when there are more than `cap`): a COUNT over at most cap + 1 rows. The queryset keeps the
    list's ordering: the rows are then the first cap + 1 entries of the index serving the list (a plan that
    cannot read the tenant's whole table), not whichever rows a sequential scan meets first."""
    n = queryset[: cap + 1].count()
    return min(n, cap), n > cap


def _field(model, name):
    return model._meta.pk if name in ("id", "pk") else model._meta.get_field(name)


def encode_cursor(row, ordering, *, reverse: bool) -> str:
    """An opaque cursor: the row's values of the ordering, the ordering, and the direction."""
    values = [_field(type(row), term.lstrip("-")).value_to_string(row) for term in ordering]
    raw = json.dumps({"o": list(ordering), "p": values, "r": int(reverse)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, ordering, model) -> tuple[list, bool]:
    """(position, reverse) from a cursor of this list's ordering; anything else is a 400."""
    invalid = exceptions.ValidationError(
        {"cursor": ["This cursor is not one this list gave (or its ordering changed): start again from the list."]}
    )
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if raw["o"] != list(ordering) or len(raw["p"]) != len(ordering) or raw["r"] not in (0, 1):
            raise invalid
        position = []
        for term, value in zip(ordering, raw["p"], strict=True):
            if not isinstance(value, str):
                raise invalid
            field = _field(model, term.lstrip("-"))
            value = field.to_python(value)
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:
                    raise invalid  # a cursor's times carry their offset, as the list wrote them
                value = value.astimezone(dt.UTC)  # an offset PostgreSQL cannot read (+16:28) is no 500
            position.append(value)
    except (ValueError, TypeError, KeyError, OverflowError, DjangoValidationError, binascii.Error):
        raise invalid from None
    return position, bool(raw["r"])


# --- throttling -------------------------------------------------------------------------------------


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per API key (or per user for session calls)."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "api_key", None)
        if api_key is not None:
            ident = f"key{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = f"ip{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
