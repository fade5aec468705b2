"""The API's JSON, written by orjson: the same bytes as DRF's JSONRenderer, in about a seventh of the time.

DRF's renderer (the standard library's encoder) took longer to write a page of 25 tickets than the database took to
read it. Values orjson does not write itself as DRF does (datetimes, whose offset orjson writes without its seconds;
dataclasses; Decimal, lazy text and the rest) go to DRF's own encoder, and DRF's escaping of U+2028 and U+2029 is
kept. An indented response (`Accept: application/json; indent=4`) is left to DRF's renderer. Tests hold the two
equal. One spelling differs: a float below 1e-4 is written `0.00001` where DRF writes `1e-05`, the same number to
any JSON reader (no API field holds one today).

A response marked with `times_as_fields` holds UTC datetimes where a serializer's DateTimeField would hold their
text: orjson writes them, as that field and DRF's encoder do (ISO 8601, every microsecond, `Z`), without a Python
call per time. The API list marks its pages so (tickets.serializers.ticket_list_data): formatting a page's 150 or
so times in Python took longer than the rest of its payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
# orjson writes a UTC datetime as isoformat() does, `+00:00` as `Z`: DateTimeField's text for it.
_FIELD_TIME_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))
_ENCODER = JSONEncoder()


def times_as_fields(response: Response) -> Response:
    """Mark `response`: the datetimes in its data are UTC times standing for DateTimeField's text (see above)."""
    response.times_as_fields = True
    return response


class FastJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        context = renderer_context or {}
        field_times = getattr(context.get("response"), "times_as_fields", False)
        drf_writes_it = (
            self.get_indent(accepted_media_type, context) is not None
            or self.ensure_ascii
            or not self.compact
            or self.encoder_class is not JSONEncoder
        )
        if drf_writes_it:
            return super().render(data, accepted_media_type, renderer_context)
        written = orjson.dumps(data, default=_ENCODER.default, option=_FIELD_TIME_OPTIONS if field_times else _OPTIONS)
        for raw, escaped in _LINE_SEPARATORS:
            if raw in written:
                written = written.replace(raw, escaped)
        return written


class ErrorsInJsonNegotiation(BaseContentNegotiation):
    """For views that answer with a file of its own type (an attachment download): the `Accept` header is the
    file's business, not DRF's. DRF's negotiation matched it against the JSON renderer, so `Accept: image/png` for a
    PNG was 406 while `Accept: application/json` got the PNG. The file is sent as it is, and anything else (an
    error) in the API's JSON."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = renderers[0]
        return renderer, renderer.media_type

    def select_parser(self, request: Request, parsers: list[BaseParser]) -> BaseParser | None:
        return DefaultContentNegotiation().select_parser(request, parsers)
