"""The dashboard's figures for the month of known tickets (tests/reports/conftest.py works them out by hand)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from reports.selectors import dashboard
from tests.reports.conftest import PERIOD


def test_first_response_median_and_90th_percentile_are_in_business_minutes(month) -> None:
    figures = dashboard(PERIOD)["first_response"]
    assert figures["count"] == 5
    assert figures["median_minutes"] == {"value": 30.0, "previous": 50.0, "change": -20.0}
    assert figures["p90_minutes"] == {"value": 168.0, "previous": 58.0, "change": 110.0}


def test_resolution_median_and_90th_percentile_count_to_the_last_resolution(month) -> None:
    figures = dashboard(PERIOD)["resolution"]
    assert figures["count"] == 4
    assert figures["median_minutes"] == {"value": 300.0, "previous": 120.0, "change": 180.0}
    assert figures["p90_minutes"] == {"value": 564.0, "previous": 168.0, "change": 396.0}


def test_created_and_solved_are_compared_with_the_previous_period(month) -> None:
    totals = dashboard(PERIOD)["totals"]
    assert totals["created"] == {"value": 6, "previous": 2, "change": 4}
    assert totals["solved"] == {"value": 4, "previous": 2, "change": 2}
    assert totals["backlog_at_end"] == {"value": 2, "previous": 0, "change": 2}


def test_rates_of_reopens_sla_breaches_and_satisfaction(month) -> None:
    figures = dashboard(PERIOD)
    assert figures["reopen_rate"]["value"] == 25.0
    assert (figures["reopen_rate"]["solved"], figures["reopen_rate"]["reopened"]) == (4, 1)
    assert figures["csat_score"]["value"] == 50.0
    assert (figures["csat_score"]["rated"], figures["csat_score"]["good"]) == (2, 1)
    assert figures["sla_breach_rate"] == {
        "value": 50.0,
        "previous": 100.0,
        "change": -50.0,
        "tracked": 6,
        "breached": 3,
    }


def test_the_days_show_created_solved_and_the_backlog_at_each_end_of_day(month) -> None:
    daily = {row["day"]: row for row in dashboard(PERIOD)["daily"]}
    assert len(daily) == 30
    assert daily[date(2026, 3, 2)] == {"day": date(2026, 3, 2), "created": 2, "solved": 2, "backlog": 0, "replies": 2}
    assert daily[date(2026, 3, 4)]["created"] == 2
    assert daily[date(2026, 3, 4)]["backlog"] == 2  # E and F
    assert daily[date(2026, 3, 6)]["backlog"] == 3  # and D, until the 10th
    assert daily[date(2026, 3, 10)]["backlog"] == 2
    assert daily[date(2026, 3, 30)]["backlog"] == 2


def test_open_tickets_now_by_status_priority_and_team(month) -> None:
    figures = dashboard(PERIOD)
    assert {row["status"]: row["count"] for row in figures["open_by_status"]} == {"new": 1, "open": 0, "pending": 1}
    assert {row["priority"]: row["count"] for row in figures["open_by_priority"]}["normal"] == 2
    assert [(row["team"], row["count"]) for row in figures["open_by_team"]] == [("Support", 2)]


def test_tickets_by_channel(month) -> None:
    channels = {row["channel"]: (row["count"], row["previous"]) for row in dashboard(PERIOD)["by_channel"]}
    assert channels["web"] == (5, 2)
    assert channels["email"] == (1, 0)
    assert channels["api"] == (0, 0)


def test_agent_load_and_activity(month) -> None:
    agents = {row["agent"]: row for row in dashboard(PERIOD)["agents"]}
    assert agents["Bob Agent"] | {"agent_id": None} == {
        "agent_id": None,
        "agent": "Bob Agent",
        "assigned_open": 1,  # E
        "solved": 2,  # A and B (B twice, counted once)
        "replies": 4,  # A, B, C, E
    }
    assert (agents["Dave Agent"]["solved"], agents["Dave Agent"]["replies"]) == (2, 1)


def test_the_team_filter_keeps_that_teams_tickets(month) -> None:
    figures = dashboard(replace(PERIOD, team_id=month.support.pk))
    assert figures["first_response"]["median_minutes"]["value"] == 25.0
    assert figures["first_response"]["p90_minutes"]["value"] == 177.0
    assert figures["totals"]["created"]["value"] == 5


def test_the_agent_filter_keeps_the_agents_tickets(month) -> None:
    figures = dashboard(replace(PERIOD, agent_id=month.bob.pk))
    assert figures["first_response"]["median_minutes"]["value"] == 20.0
    assert figures["first_response"]["p90_minutes"]["value"] == 196.0
    assert figures["totals"]["created"]["value"] == 3
    assert [row["agent"] for row in figures["agents"]] == ["Bob Agent"]


def test_the_category_filter_keeps_that_categorys_tickets(month) -> None:
    figures = dashboard(replace(PERIOD, category_id=month.orders.pk))
    assert figures["totals"]["created"]["value"] == 1
    assert figures["first_response"]["median_minutes"]["value"] == 60.0
    assert figures["resolution"]["median_minutes"]["value"] == 600.0
