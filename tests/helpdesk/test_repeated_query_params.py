"""A query parameter given twice is a 400 naming it, never a list silently filtered by the last value alone."""

from __future__ import annotations

import pytest

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
