"""helpdesk/renderers.py: the API's JSON written by orjson is byte for byte what DRF's own renderer writes."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from helpdesk.renderers import FastJSONRenderer, times_as_fields
from tickets.models import Ticket

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
    response = api_client_for(bob).get(f"/api/v1/tickets/{ticket.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == JSONRenderer().render(response.data, "application/json")
    assert isinstance(response.accepted_renderer, FastJSONRenderer)


FIELD = serializers.DateTimeField()
UTC_TIMES = [
    datetime.datetime(2026, 12, 2, 17, 8, 17, 192390, tzinfo=UTC),
    datetime.datetime(2026, 12, 2, 17, 8, 17, tzinfo=UTC),
    datetime.datetime(2026, 12, 2, 17, 8, 17, 1000, tzinfo=UTC),
    datetime.datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def field_times(*, indent: bool = False) -> tuple[str, dict[str, Response]]:
    media_type = "application/json; indent=4" if indent else "application/json"
    return media_type, {"response": times_as_fields(Response())}


@pytest.mark.parametrize("indent", [False, True], ids=["compact", "indented"])
def test_times_as_fields_are_the_datetime_fields_text(indent):
    def page(when):
        rows = [{"id": 1, "created_at": when(moment), "sla": [{"due_at": when(moment)}]} for moment in UTC_TIMES]
        return {"results": rows}

    data, as_text = page(lambda moment: moment), page(FIELD.to_representation)

    written = FastJSONRenderer().render(data, *field_times(indent=indent))

    assert written == JSONRenderer().render(as_text, *field_times(indent=indent))


def test_the_ticket_list_is_written_with_its_times_as_fields(api_client_for, bob, ticket):
    client = api_client_for(bob)

    compact = client.get("/api/v1/tickets/")
    indented = client.get("/api/v1/tickets/", HTTP_ACCEPT="application/json; indent=4")

    [row] = compact.json()["results"]
    assert row["created_at"] == FIELD.to_representation(Ticket.objects.get(pk=ticket.pk).created_at)
    assert indented.json() == compact.json()
    assert b'\n    "results"' in indented.content
