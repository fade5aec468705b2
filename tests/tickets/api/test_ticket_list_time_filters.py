"""`created_after` / `updated_after` take any ISO 8601 time: odd offsets and calendar edges are a 400, never a 500;
`updated_within` is a number of days back from when the list is read.

Found by the Schemathesis run: PostgreSQL refuses offsets beyond ±15:59 and SQLite's adapter overflows converting
the calendar's first and last days to UTC, so both used to reach the database and fail there.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tickets.models import Ticket

URL = "/api/v1/tickets/"


@pytest.mark.parametrize("parameter", ["created_after", "updated_after"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_at_the_edge_of_the_calendar_is_a_400(api_client_for, bob, ticket, parameter, value):
    response = api_client_for(bob).get(URL, {parameter: value})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {parameter: ["This date and time is out of range."]}


def test_an_offset_beyond_what_postgresql_stores_still_filters(api_client_for, bob, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(created_at="2024-06-01T12:00:00Z")
    client = api_client_for(bob)
    # 2024-06-01T00:00-21:33 is 21:33 UTC: after the ticket was created, so it is filtered out.
    assert client.get(URL, {"created_after": "2024-06-01T00:00:00-21:33"}).json()["results"] == []
    # 2024-06-01T23:00+21:33 is 01:27 UTC the same day: before it, so the ticket is listed.
    results = client.get(URL, {"created_after": "2024-06-01T23:00:00+21:33"}).json()["results"]
    assert [row["id"] for row in results] == [ticket.pk]


def test_updated_within_counts_its_days_back_from_when_the_list_is_read(api_client_for, bob, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(updated_at="2024-06-01T12:00:00Z")
    client = api_client_for(bob)

    with time_machine.travel(datetime(2024, 6, 8, 11, 0, tzinfo=UTC), tick=False):
        within_a_week = client.get(URL, {"updated_within": "7"}).json()["results"]
    with time_machine.travel(datetime(2024, 6, 8, 13, 0, tzinfo=UTC), tick=False):
        a_week_later = client.get(URL, {"updated_within": "7"}).json()["results"]

    assert [row["id"] for row in within_a_week] == [ticket.pk]
    assert a_week_later == []


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "week", "3651"])
def test_updated_within_takes_a_whole_number_of_days(api_client_for, bob, ticket, value):
    response = api_client_for(bob).get(URL, {"updated_within": value})

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["updated_within"]
