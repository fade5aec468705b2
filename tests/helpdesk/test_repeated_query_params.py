"""A strict query string: a query parameter given twice is a 400 naming it, never a list silently filtered by the
last value alone; and a read of one object refuses a parameter it does not read, as the lists do."""

from __future__ import annotations

import pytest

from helpdesk.api import router
from helpdesk.viewsets import StrictQueryString
from macros.services import macro_create
from queues.services import saved_view_create
from tests.support.api import assert_error_body


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("status=new&status=open", "status"),
        ("assignee=none&assignee=me", "assignee"),
        ("page_size=1&page_size=50", "page_size"),
    ],
)
def test_a_repeated_ticket_list_parameter_is_refused(api_client_for, bob, ticket, query, name):
    error = assert_error_body(api_client_for(bob).get(f"/api/v1/tickets/?{query}"), 400, "invalid")

    assert list(error["details"]) == [name]


def test_a_comma_list_still_takes_several_statuses(api_client_for, bob, ticket):
    response = api_client_for(bob).get("/api/v1/tickets/?status=new,open")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [ticket.pk]


def test_a_repeated_report_parameter_is_refused(api_client_for, carol):
    response = api_client_for(carol).get("/api/v1/reports/dashboard?start=2026-01-01&start=2026-02-01")

    assert list(assert_error_body(response, 400, "invalid")["details"]) == ["start"]


READS_OF_ONE = {
    "ticket": lambda cast: f"/api/v1/tickets/{cast['ticket'].pk}/",
    "category": lambda cast: f"/api/v1/categories/{cast['category'].pk}/",
    "team": lambda cast: f"/api/v1/teams/{cast['team'].pk}/",
    "user": lambda cast: f"/api/v1/users/{cast['alice'].pk}/",
    "me": lambda cast: "/api/v1/auth/me",
    "macro": lambda cast: f"/api/v1/macros/{macro_create(actor=cast['bob'], name='Thanks', body='Thanks!').pk}/",
    "view": lambda cast: f"/api/v1/views/{saved_view_create(owner=cast['bob'], name='Mine').pk}/",
}


@pytest.fixture
def cast(alice, bob, ticket, category, team):
    return {"alice": alice, "bob": bob, "ticket": ticket, "category": category, "team": team}


@pytest.mark.parametrize("read", READS_OF_ONE.values(), ids=READS_OF_ONE.keys())
def test_a_read_of_one_object_refuses_a_parameter_it_does_not_read(api_client_for, cast, read):
    url = read(cast)
    client = api_client_for(cast["bob"])
    error = assert_error_body(client.get(f"{url}?fields=id&expand=comments"), 400, "invalid")
    assert sorted(error["details"]) == ["expand", "fields"]
    assert client.get(f"{url}?format=json").status_code == 200


def test_a_read_of_one_object_refuses_a_repeated_parameter(api_client_for, bob, ticket):
    response = api_client_for(bob).get(f"/api/v1/tickets/{ticket.pk}/?format=json&format=json")
    assert list(assert_error_body(response, 400, "invalid")["details"]) == ["format"]


def test_every_viewset_with_a_read_of_one_object_is_strict_about_its_query_string():
    reads_of_one = {
        pattern.callback.cls for pattern in router.urls if pattern.callback.actions.get("get") not in (None, "list")
    }
    assert len(reads_of_one) >= 10  # every viewset with a read of one object was found
    assert [viewset.__name__ for viewset in reads_of_one if not issubclass(viewset, StrictQueryString)] == []
