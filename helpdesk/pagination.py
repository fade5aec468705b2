"""Cursor pagination for every API list: stable under inserts, and no COUNT(*) on each page.

Every list is strict about its query string: a misspelt filter, a parameter given twice or a page size out of range
is a 400 naming the parameter, never a silently unfiltered, half-filtered or resized page. The check lives here
because every list paginates.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from datetime import UTC
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import DateTimeField, Model, QuerySet
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from helpdesk.filtersets import filterset_query_params


class InvalidCursor(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_cursor"
    default_detail = "This cursor is not one the API gave out: follow `next` or `previous` as they are."


class StrictCursorPagination(CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(
        self, queryset: QuerySet[Model], request: Request, view: APIView | None = None
    ) -> list[Model] | None:
        allowed = {self.cursor_query_param, self.page_size_query_param, *view_query_params(view, queryset)}
        refuse_unknown_query_params(request, allowed)
        refuse_repeated_query_params(request)
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's decoding, plus a check that the position is a value of the ordering's field: a cursor is opaque to
        the client but not signed, so a crafted one must be a 400 rather than a database error."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded:
            refuse_mangled_cursor(encoded)
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise InvalidCursor() from error
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            value = field.clean(position, None)
        except DjangoValidationError as error:
            raise InvalidCursor() from error
        if isinstance(field, DateTimeField):
            if timezone.is_naive(value):
                raise InvalidCursor()
            try:  # SQLite's adapter converts to UTC, and overflows on the calendar's first and last days
                value.astimezone(UTC)
            except OverflowError as error:
                raise InvalidCursor() from error

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"Use a whole number from 1 to {self.max_page_size}."]})
        return int(raw)


# What DRF's encode_cursor writes: an offset, a direction and a position, each at most once.
CURSOR_FIELDS = frozenset({"o", "r", "p"})


def refuse_mangled_cursor(encoded: str) -> None:
    """DRF decodes a cursor leniently: base64 skips characters outside its alphabet, and fields it does not know are
    ignored, so a cursor mangled on its way (`%`, `,`, a cut-off or altered one) read as no position at all, and the
    list answered its first page again: a client following `next` looped over page one. Only base64 that is strictly
    valid, holding only the fields DRF writes, each once, is a cursor."""
    try:
        decoded = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
        fields = [name for name, _ in parse_qsl(decoded, keep_blank_values=True, strict_parsing=True)]
    except (UnicodeError, binascii.Error, ValueError) as error:
        raise InvalidCursor() from error
    if not set(fields) <= CURSOR_FIELDS or len(fields) != len(set(fields)):
        raise InvalidCursor()


def refuse_unknown_query_params(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError({name: ["Unknown query parameter."] for name in unknown})


def refuse_repeated_query_params(request: Request) -> None:
    """A filter reads one value of its parameter, the last: `status=new&status=open` would silently be `open` alone."""
    repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
    if repeated:
        message = "Send this parameter once; a filter taking several values takes them comma-separated."
        raise ValidationError({name: [message] for name in repeated})


def refuse_query_params_not_read(request: Request) -> None:
    """As a list's, for an endpoint that is no list (a read of one object), which reads only DRF's `format`."""
    refuse_unknown_query_params(request, every_view_query_params())
    refuse_repeated_query_params(request)


def every_view_query_params() -> set[str]:
    """What DRF reads on every endpoint: `format`."""
    return {api_settings.URL_FORMAT_OVERRIDE} if api_settings.URL_FORMAT_OVERRIDE else set()


def view_query_params(view: APIView | None, queryset: QuerySet[Model]) -> set[str]:
    """What the view's filter backends read: filterset fields, `ordering`, `search`; and DRF's `format`."""
    names = every_view_query_params()
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        names |= {getattr(backend, param) for param in ("ordering_param", "search_param") if hasattr(backend, param)}
        if hasattr(backend, "get_filterset_class"):
            filterset_class = backend.get_filterset_class(view, queryset)
            if filterset_class is not None:
                names |= filterset_query_params(filterset_class)
    return names


class ById(StrictCursorPagination):
    ordering = ("id",)


class ByPosition(ById):
    """Lists an admin orders by hand (`position`), such as the intake forms."""

    ordering = ("position", "id")


class NewestFirst(ById):
    ordering = ("-created_at", "-id")


class OldestFirst(ById):
    ordering = ("created_at", "id")
