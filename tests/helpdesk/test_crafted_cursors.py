"""A cursor the API never gave out is `400 invalid_cursor` on every cursor-paginated list, never a 500.

The outside run's examples: `cD0yMDI0` (base64 of `p=2024`, a position that is no date) and, ordered by priority,
a cursor whose position is `notadate`.
"""

from __future__ import annotations

import base64

import pytest

from automations.models import Rule, Trigger
from automations.services import rule_save
from queues.services import saved_view_create
from tests.support.api import assert_error_body
from tests.support.schema import cursor_paginated_lists
from webhooks.services import webhook_endpoint_create


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


CRAFTED = [encoded("p=notadate"), encoded("p=9999999999999999999999999"), "not base64!", encoded("o=x")]
# Cursors that DRF's lenient base64 decoding read as no position at all, so they answered the first page again: a
# client following a cursor mangled on its way (a `%` or `,` left of it) would loop over page one for ever.
MANGLED = ["%", ",", "cD0y!", "AAAA", encoded("x=1"), encoded("p=1&q=2")]


@pytest.fixture
def path_values(ticket, carol):
    """An existing object for every id a list's path names, so the list answers rather than 404."""
    rule = rule_save(rule=Rule(name="Rule", trigger=Trigger.TICKET_CREATED))
    webhook = webhook_endpoint_create(url="https://93.184.216.34/hooks", actor=None, is_active=False)
    view = saved_view_create(owner=carol, name="All", conditions={})
    return {"ticket_id": ticket.pk, "rule_id": rule.pk, "webhook_id": webhook.pk, "view_id": view.pk}


@pytest.mark.parametrize("operation", cursor_paginated_lists(), ids=lambda operation: operation.path)
@pytest.mark.parametrize("cursor", CRAFTED)
def test_a_crafted_cursor_is_refused_on_every_list(api_client_for, carol, path_values, operation, cursor):
    response = api_client_for(carol).get(operation.url(**path_values), {"cursor": cursor})
    assert_error_body(response, 400, "invalid_cursor")


@pytest.mark.parametrize("operation", cursor_paginated_lists(), ids=lambda operation: operation.path)
@pytest.mark.parametrize("cursor", MANGLED)
def test_a_mangled_cursor_is_refused_rather_than_read_as_the_first_page(
    api_client_for, carol, path_values, operation, cursor
):
    response = api_client_for(carol).get(operation.url(**path_values), {"cursor": cursor})
    assert_error_body(response, 400, "invalid_cursor")


def test_a_bare_year_is_no_position_in_a_list_ordered_by_date(api_client_for, bob, ticket):
    assert_error_body(api_client_for(bob).get("/api/v1/tickets/", {"cursor": "cD0yMDI0"}), 400, "invalid_cursor")


# SQLite's adapter overflows converting the calendar's first and last days to UTC (a `+` in a cursor is `%2B`).
@pytest.mark.parametrize("position", ["0001-01-01T00:00:00%2B05:00", "9999-12-31T23:59:59-05:00"])
def test_a_position_at_the_edge_of_the_calendar_is_refused(api_client_for, bob, ticket, position):
    response = api_client_for(bob).get("/api/v1/tickets/", {"cursor": encoded(f"p={position}")})
    assert_error_body(response, 400, "invalid_cursor")


@pytest.mark.parametrize("operation", cursor_paginated_lists(), ids=lambda operation: operation.path)
def test_a_bare_number_is_a_position_only_in_lists_ordered_by_number(api_client_for, carol, path_values, operation):
    response = api_client_for(carol).get(operation.url(**path_values), {"cursor": "cD0yMDI0"})
    if response.status_code != 200:
        assert_error_body(response, 400, "invalid_cursor")


def test_a_cursor_for_another_ordering_is_refused(api_client_for, bob, ticket):
    response = api_client_for(bob).get("/api/v1/tickets/", {"ordering": "priority", "cursor": encoded("p=notadate")})
    assert_error_body(response, 400, "invalid_cursor")


def test_the_cursors_the_api_gives_out_still_work(api_client_for, bob, alice, category):
    from tickets.services import ticket_create

    for number in range(3):
        ticket_create(requester=alice, subject=f"Ticket {number}", category=category)
    client = api_client_for(bob)
    for ordering in ("priority", "-created_at", "updated_at"):
        first = client.get("/api/v1/tickets/", {"ordering": ordering, "page_size": 2}).json()
        second = client.get(first["next"])
        assert second.status_code == 200
        assert len(second.json()["results"]) == 1
