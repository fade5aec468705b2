"""The reports page: who sees it, what it shows, and that its charts come with tables and stay within the CSP."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

URL = reverse("reports_dashboard")


def test_an_admin_sees_the_last_30_days_with_charts_and_tables(month, client_for, carol) -> None:
    response = client_for(carol).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 Mar 2026 – 30 Mar 2026" in html
    assert "30 Jan 2026 – 28 Feb 2026" in html
    assert html.count("<svg") == 6
    assert html.count("<table") == 7
    assert " style=" not in html and "<style" not in html
    # Scripts only as files from /static/ (the staff pages' keyboard shortcuts), never inline.
    assert all(tag.startswith('<script src="/static/') for tag in re.findall(r"<script[^>]*>", html))
    assert 'href="/static/css/reports.css"' in html
    assert "First response, median (business minutes)" in html


def test_the_filters_narrow_the_figures(month, client_for, carol) -> None:
    response = client_for(carol).get(URL, {"start": "2026-03-01", "end": "2026-03-30", "team": month.sales.pk})
    figures = response.context["figures"]
    assert figures["totals"]["created"]["value"] == 1
    assert f"team={month.sales.pk}" in response.content.decode()  # the CSV links keep the filters


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-30", "end": "2026-03-01"},
        {"start": "1999-12-31"},
        {"start": "2020-01-01", "end": "2026-03-01"},
        {"team": "99999999999999999999999"},
        {"agent": "nobody"},
        {"end": "9999-12-31"},
    ],
)
def test_filters_that_make_no_sense_show_a_message_and_the_default_period(client_for, carol, query) -> None:
    with time_machine.travel(datetime(2026, 3, 30, 12, tzinfo=UTC), tick=False):
        response = client_for(carol).get(URL, query)
    assert response.status_code == 200
    assert "Those filters are not valid" in response.content.decode()
    assert response.context["figures"]["period"]["start"].isoformat() == "2026-03-01"
    assert response.context["figures"]["period"]["end"].isoformat() == "2026-03-30"


def test_an_agent_gets_403_unless_reports_are_opened_to_agents(month, client_for, bob, settings) -> None:
    assert client_for(bob).get(URL).status_code == 403
    assert b">Reports</a>" not in client_for(bob).get(reverse("agent_away")).content
    settings.REPORTS_FOR_AGENTS = True
    assert client_for(bob).get(URL).status_code == 200
    assert b">Reports</a>" in client_for(bob).get(reverse("agent_away")).content


def test_requesters_get_404_and_visitors_are_sent_to_log_in(month, client_for, mallory, client) -> None:
    assert client_for(mallory).get(URL).status_code == 404
    assert client_for(mallory).get(reverse("reports_csv", args=["daily"])).status_code == 404
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_reads_a_bounded_number_of_queries(month, client_for, carol, django_assert_max_num_queries) -> None:
    client = client_for(carol)
    with django_assert_max_num_queries(25):
        client.get(URL)
