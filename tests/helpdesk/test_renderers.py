"""helpdesk/renderers.py: the API's JSON written by orjson is byte for byte what DRF's own renderer writes."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from helpdesk.renderers import FastJSONRenderer

UTC = datetime.UTC
NOT_UTC = datetime.timezone(datetime.timedelta(hours=5, minutes=30))

PAYLOADS = {
    "a page of rows": {
        "next": "http://testserver/api/v1/tickets/?cursor=cD0yMDI2",
        "previous": None,
        "results": [
            {"id": 7, "subject": "Printer «jam» — ünïcödé 😀", "tags": ["a", "b"], "sla": [], "rating": None},
            {"id": 8, "subject": 'quotes " and \\ back\nslash', "flag": True, "score": 4.5, "count": 0},
        ],
    },
    "datetimes, dates and times": {
        "with microseconds": datetime.datetime(2026, 12, 2, 17, 8, 17, 192390, tzinfo=UTC),
        "whole seconds": datetime.datetime(2026, 12, 2, 17, 8, 17, tzinfo=UTC),
        "another zone": datetime.datetime(2026, 12, 2, 17, 8, 17, 5, tzinfo=NOT_UTC),
        "naive": datetime.datetime(2026, 12, 2, 17, 8, 17, 250000),
        "date": datetime.date(2026, 12, 2),
        "time": datetime.time(9, 30, 15, 123456),
        "duration": datetime.timedelta(hours=2, seconds=3),
    },
    "what the standard encoder cannot write": {"decimal": Decimal("12.50"), "lazy": gettext_lazy("Open")},
    "line separators": {"text": "one\u2028two\u2029three"},
    "keys that are not text": {1: "one", 2: ["two"]},
    "nothing but a list": [1, "two", None, False],
}


@pytest.mark.parametrize("data", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_bytes_are_drfs(data):
    assert FastJSONRenderer().render(data, "application/json") == JSONRenderer().render(data, "application/json")


def test_an_indented_response_is_left_to_drf():
    data = {"id": 1, "tags": ["a"]}

    indented = FastJSONRenderer().render(data, "application/json; indent=4")

    assert indented == JSONRenderer().render(data, "application/json; indent=4")
    assert b'\n    "id": 1' in indented


def test_a_tiny_float_is_spelt_otherwise_but_reads_as_the_same_number():
    data = {"rate": 1e-05, "share": 0.25}

    fast, drf = FastJSONRenderer().render(data), JSONRenderer().render(data)

    assert fast == b'{"rate":0.00001,"share":0.25}' and drf == b'{"rate":1e-05,"share":0.25}'
    assert json.loads(fast) == json.loads(drf)


def test_no_data_is_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


def test_the_api_answers_with_it(api_client_for, bob, ticket):
    response = api_client_for(bob).get("/api/v1/tickets/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == JSONRenderer().render(response.data, "application/json")
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
