"""What no input may hold, checked once where input enters, so no endpoint has to remember it.

- NUL characters: PostgreSQL's text type cannot store them (and filtering on one is an error there).
- Lone surrogates (`"\\ud800"` in JSON): no database encoding can store them, and hashing them fails.
- JSON nested deeper than MAX_JSON_DEPTH: Python's parser and every recursive walk after it run out of stack.
- Non-finite numbers (`1e999` parses as infinity): no database column stores them.
- An object naming a member twice: which value counts differs between JSON readers.

Two doors check: `InputCheckMiddleware` (the path, every query string, and the form bodies of pages and the admin)
and the API's parsers (helpdesk/limits.py), which read JSON and form bodies themselves. A refusal is a 400: the
API's error body naming the parameter, or a page saying what to change.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from rest_framework.exceptions import ParseError, ValidationError

MAX_JSON_DEPTH = 32
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Contains a character that cannot be stored (a NUL byte or an unpaired surrogate)."
NOT_FINITE_MESSAGE = "Numbers must be finite."
TOO_DEEP_MESSAGE = f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted."

Problems = dict[str, list[str]]


def is_storable(text: str) -> bool:
    return UNSTORABLE_CHARACTERS.search(text) is None


def query_dict_problems(data: QueryDict) -> Problems:
    """{name: [message]} for each parameter whose name or values cannot be stored; uploaded files are skipped."""
    problems: Problems = {}
    for name, values in data.lists():
        texts = [name, *(value for value in values if isinstance(value, str))]
        if not all(map(is_storable, texts)):
            problems[_printable(name)] = [UNSTORABLE_MESSAGE]
    return problems


def _printable(name: str) -> str:
    """The name as it can be put in an error body (which is JSON, and so cannot carry a lone surrogate either)."""
    return UNSTORABLE_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", name)


def _children(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}" if where else str(key), key
            yield f"{where}.{key}" if where else str(key), item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{where}[{index}]", item


def json_problems(data: Any) -> Problems:
    """{path: [message]} for each string that cannot be stored and each non-finite number, walked without recursion
    (the depth is checked by `parse_json`)."""
    problems: Problems = {}
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str) and not is_storable(value):
            problems.setdefault(_printable(where) or "non_field_errors", [UNSTORABLE_MESSAGE])
        elif isinstance(value, float) and not math.isfinite(value):
            problems.setdefault(_printable(where) or "non_field_errors", [NOT_FINITE_MESSAGE])
        else:
            pending.extend(_children(value, where))
    return problems


def _depth(data: Any) -> int:
    deepest = 0
    pending: list[tuple[int, Any]] = [(1, data)]
    while pending:
        depth, value = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            pending.extend((depth + 1, item) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _object_without_repeated_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object naming a member twice is refused: Python keeps the last value silently, other readers the first,
    so `{"priority": "urgent", ..., "priority": "low"}` would change a ticket in a way its sender may not mean."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        repeated = next(name for name, _ in pairs if name in seen or seen.add(name))
        raise ValueError(f"the name {_printable(repeated)!r} appears twice in one object")
    return data


def parse_json(text: str | bytes) -> Any:
    """The one way a JSON document from outside is read: the API's JSON bodies and JSON carried in form fields.

    Raises DRF's ParseError (400 `parse_error`) for malformed or too deeply nested JSON, and ValidationError (400
    `invalid`, naming where) for strings that cannot be stored and non-finite numbers.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_object_without_repeated_names)
    except RecursionError as error:
        raise ParseError(TOO_DEEP_MESSAGE) from error
    except ValueError as error:  # JSONDecodeError, undecodable bytes, an integer with too many digits
        raise ParseError(f"JSON parse error - {error}") from error
    if _depth(data) > MAX_JSON_DEPTH:
        raise ParseError(TOO_DEEP_MESSAGE)
    problems = json_problems(data)
    if problems:
        raise ValidationError(problems)
    return data


class PageViewMiddleware:
    """A middleware that looks at requests in process_view, where the view is known. `page_body` tells whether the
    view's body is a page's form (pages, the admin, public forms): not the API's, which its parsers read under their
    own size limits, nor a CSRF-exempt view's (inbound mail webhooks), which reads and verifies its raw body itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from helpdesk.api_errors import API_PREFIX  # imports DRF's views, whose settings name this module's peers

        self.api_prefix = API_PREFIX
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def is_api(self, request: HttpRequest) -> bool:
        return request.path.startswith(self.api_prefix)

    def page_body(self, request: HttpRequest, view_func: Callable[..., Any]) -> bool:
        return not self.is_api(request) and not getattr(view_func, "csrf_exempt", False)


class InputCheckMiddleware(PageViewMiddleware):
    """Refuses a request whose path, query string or form body holds an unstorable character. (A number no column
    holds, in an admin list's lookups, is the admin's to answer: helpdesk/admin_site.py.) Only a page's body is read
    here (`page_body`): reading `request.POST` for the API would read the body before its parsers and bypass their
    size limits.
    """

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        problems = self._problems(request, read_body=self.page_body(request, view_func))
        if not problems:
            return None
        if self.is_api(request):
            body = {"error": {"code": "invalid", "message": "The request is not valid.", "details": problems}}
            return JsonResponse(body, status=400)
        return render(request, "input_refused.html", {"names": sorted(problems)}, status=400)

    @staticmethod
    def _problems(request: HttpRequest, *, read_body: bool) -> Problems:
        problems: Problems = {}
        if not is_storable(request.path):
            problems["path"] = [UNSTORABLE_MESSAGE]
        problems.update(query_dict_problems(request.GET))
        if read_body and request.method == "POST":
            problems.update(query_dict_problems(request.POST))
        return problems
