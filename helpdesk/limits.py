"""Request body size limits, enforced where the body is read: by the API's parsers, and for pages by a middleware.

DRF's parsers read the request stream themselves, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never sees a JSON body.
Each parser here refuses a body over its limit with 413 `request_too_large`: up front by the declared
Content-Length, and again while reading, for a client (or server in between) whose Content-Length is missing or wrong.

Pages (public intake forms, replies, the staff forms, the admin) get the API's multipart limit from
`PageBodyLimitMiddleware`, by the declared Content-Length. Django caps only a form's fields
(DATA_UPLOAD_MAX_MEMORY_SIZE): without it, files of any size would be spooled to disk before a view could look at
ATTACHMENT_MAX_BYTES.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from rest_framework import exceptions, parsers, status

from helpdesk.input_checks import PageViewMiddleware, parse_json, query_dict_problems

READ_CHUNK_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


def body_limit() -> int:
    """JSON and form bodies: the same limit Django applies to the fields of an HTML form post."""
    return settings.API_MAX_BODY_BYTES


def multipart_limit() -> int:
    """Every attachment at its largest, plus room for the form fields and the multipart framing."""
    return settings.ATTACHMENT_MAX_BYTES * settings.ATTACHMENT_MAX_FILES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _declared_length(parser_context: dict[str, Any] | None) -> int | None:
    request = (parser_context or {}).get("request")
    return declared_length(request) if request is not None else None


def declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META["CONTENT_LENGTH"])
    except (KeyError, TypeError, ValueError):
        return None


def refuse_declared_length_over(limit: int, parser_context: dict[str, Any] | None) -> None:
    declared = _declared_length(parser_context)
    if declared is not None and declared > limit:
        raise RequestTooLarge()


class CappedStream:
    """Reads through to `stream`, refusing the request as soon as more than `limit` bytes have come in."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._remaining = limit

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(READ_CHUNK_BYTES), b""))
        # Ask for one byte more than allowed so an over-long body is noticed without reading all of it.
        data = self._stream.read(min(size, self._remaining + 1))
        self._remaining -= len(data)
        if self._remaining < 0:
            raise RequestTooLarge()
        return data


def read_capped(stream: IO[bytes], limit: int, parser_context: dict[str, Any] | None) -> io.BytesIO:
    refuse_declared_length_over(limit, parser_context)
    return io.BytesIO(CappedStream(stream, limit).read())


def refuse_unstorable(data: QueryDict) -> QueryDict:
    problems = query_dict_problems(data)
    if problems:
        raise exceptions.ValidationError(problems)
    return data


class LimitedJSONParser(parsers.JSONParser):
    """DRF's JSON parser, through helpdesk.input_checks.parse_json (depth, NUL, surrogates, finite numbers)."""

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: dict | None = None) -> Any:
        body = read_capped(stream, body_limit(), parser_context).getvalue()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        return parse_json(text)


class LimitedFormParser(parsers.FormParser):
    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: dict | None = None) -> Any:
        data = super().parse(read_capped(stream, body_limit(), parser_context), media_type, parser_context)
        return refuse_unstorable(data)


class LimitedMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = multipart_limit()
        refuse_declared_length_over(limit, parser_context)
        parsed = super().parse(CappedStream(stream, limit), media_type, parser_context)
        refuse_unstorable(parsed.data)
        return parsed


class PageBodyLimitMiddleware(PageViewMiddleware):
    """Refuses a page's post (`page_body`) that declares more than `multipart_limit()` with a 413 page, before any of
    it is read (listed before CsrfViewMiddleware, whose process_view reads the form). Under WSGI, which is how the app
    is served, Django reads a body only up to its declared Content-Length (and nothing of one without it), so the
    declared length is what bounds what lands on disk. The API's multipart parser has the same limit (above)."""

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "POST" or not self.page_body(request, view_func):
            return None
        declared = declared_length(request)
        if declared is not None and declared > multipart_limit():
            return request_too_large_page(request, multipart_limit())
        return None


def request_too_large_page(request: HttpRequest, limit: int) -> HttpResponse:
    context = {
        "limit": limit,
        "file_limit": settings.ATTACHMENT_MAX_BYTES,
        "max_files": settings.ATTACHMENT_MAX_FILES,
    }
    return render(request, "request_too_large.html", context, status=413)
