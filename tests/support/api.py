"""Assertions about API responses shared by the tests of every app."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from rest_framework.response import Response

from helpdesk.renderers import FastJSONRenderer, times_as_fields


def assert_error_body(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The one error body, `{"error": {"code", "message", "details"}}`, with this status and code; returns the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def as_the_list_writes(data: Any) -> Any:
    """`data` as the client reads it from a response marked `times_as_fields`, as the API list's pages are."""
    return json.loads(FastJSONRenderer().render(data, "application/json", {"response": times_as_fields(Response())}))
