"""Odd filter values on the reports (as an admin, who gets past the role check to the parsing) are a 4xx or a page,
never a 5xx. The schema-driven tests in tests/helpdesk ask as an agent, whom the reports refuse first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from hypothesis import given

from tests.support.hostile import (
    PROPERTY_SETTINGS,
    assert_refused_cleanly,
    assert_refused_cleanly_or_served,
    query_string,
    row_counts,
    with_a_nul,
)

NAMES = ["start", "end", "team", "category", "agent"]
EARLY_END = {"end": "0001-01-05"}  # no start: the default start, 29 days before, is before the first date Python knows


@pytest.mark.django_db
@pytest.mark.parametrize("api", [True, False], ids=["api", "csv"])
def test_odd_filters_are_refused_cleanly(api_client_for, client_for, carol, ticket, api) -> None:
    client = api_client_for(carol) if api else client_for(carol)
    url = "/api/v1/reports/dashboard" if api else reverse("reports_csv", args=["summary"])

    @PROPERTY_SETTINGS
    @given(query=query_string(NAMES), with_nul=with_a_nul(query_string(NAMES)))
    def check(query: dict[str, str], with_nul: dict[str, str]) -> None:
        before = row_counts()
        assert_refused_cleanly_or_served(client.get(url, query), before, api=api)
        assert_refused_cleanly(client.get(url, with_nul), before, api=api)

    check()


def test_the_api_refuses_an_end_in_the_first_days_of_year_one_with_a_400(api_client_for, carol) -> None:
    client = api_client_for(carol)
    client.raise_request_exception = False
    response = client.get("/api/v1/reports/dashboard", EARLY_END)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("url", "status"), [(reverse("reports_dashboard"), 200), (reverse("reports_csv", args=["summary"]), 400)]
)
def test_the_page_shows_the_default_period_and_the_csv_refuses_an_end_in_year_one(
    client_for, carol, url, status
) -> None:
    client = client_for(carol)
    client.raise_request_exception = False
    with time_machine.travel(datetime(2026, 3, 30, 12, tzinfo=UTC), tick=False):
        response = client.get(url, EARLY_END)
    assert response.status_code == status
    assert "Those filters are not valid" in response.content.decode()
