"""The period figures and the open tickets come from the rollups and the kept counts, which must say what the
metrics say: after reopens, moves to another team, deletions and rebuilds; and the days not rolled up yet (today,
yesterday, the stale ones) are read from the metrics, so nothing waits for the beat task."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone

from accounts.models import STAFF_ROLES
from csat.models import Rating
from reports.models import (
    OPEN_STATUS_VALUES,
    DailyRollup,
    Duration,
    DurationRollup,
    OpenTicketCount,
    StaleRollupDay,
    TicketMetrics,
)
from reports.selectors import ReportFilters, dashboard, percentile, percentile_of_counts
from reports.services import (
    day_start,
    reports_time_zone,
    rollups_backfill,
    rollups_refresh,
    ticket_metrics_update,
)
from tests.reports.conftest import PERIOD
from tickets.models import Category, Channel, Comment, Status, Team, Ticket
from tickets.services import (
    TicketChanges,
    comment_create,
    ticket_change_status,
    ticket_create,
    ticket_merge,
    ticket_update,
)


def _from_the_metrics(filters: ReportFilters) -> dict[str, Any]:
    """The period figures of the current period, worked out from every metrics row (what the page showed before)."""
    metrics = TicketMetrics.objects.all()
    if filters.team_id is not None:
        metrics = metrics.filter(team_id=filters.team_id)
    if filters.category_id is not None:
        metrics = metrics.filter(category_id=filters.category_id)
    if filters.agent_id is not None:
        metrics = metrics.filter(assignee_id=filters.agent_id)
    start, end = day_start(filters.start), day_start(filters.end + timedelta(days=1))
    created = list(metrics.filter(created_at__gte=start, created_at__lt=end))
    solved = list(metrics.filter(solved_at__gte=start, solved_at__lt=end))

    def spread(values: list[int | None]) -> dict[str, Any]:
        measured = sorted(value for value in values if value is not None)
        median, p90 = percentile(measured, 0.5), percentile(measured, 0.9)
        return {
            "count": len(measured),
            "median": None if median is None else round(median, 1),
            "p90": None if p90 is None else round(p90, 1),
        }

    return {
        "channels": Counter(row.channel for row in created),
        "tracked": sum(row.sla_breached is not None for row in created),
        "breached": sum(row.sla_breached is True for row in created),
        "solved": len(solved),
        "reopened": sum(row.reopen_count > 0 for row in solved),
        "rated": sum(row.csat_rating != "" for row in solved),
        "good": sum(row.csat_rating == Rating.GOOD for row in solved),
        "first_response": spread([row.first_response_minutes for row in created]),
        "resolution": spread([row.resolution_minutes for row in solved]),
        "open": Counter(
            (row.status, row.team_id) for row in metrics.filter(status__in=OPEN_STATUS_VALUES).only("status", "team_id")
        ),
    }


def _from_the_dashboard(filters: ReportFilters) -> dict[str, Any]:
    figures = dashboard(filters)

    def spread(name: str) -> dict[str, Any]:
        summary = figures[name]
        return {
            "count": summary["count"],
            "median": summary["median_minutes"]["value"],
            "p90": summary["p90_minutes"]["value"],
        }

    open_by_team = {row["team_id"]: row["count"] for row in figures["open_by_team"]}
    open_by_status = {row["status"]: row["count"] for row in figures["open_by_status"]}
    return {
        "channels": Counter({row["channel"]: row["count"] for row in figures["by_channel"] if row["count"]}),
        "tracked": figures["sla_breach_rate"]["tracked"],
        "breached": figures["sla_breach_rate"]["breached"],
        "solved": figures["reopen_rate"]["solved"],
        "reopened": figures["reopen_rate"]["reopened"],
        "rated": figures["csat_score"]["rated"],
        "good": figures["csat_score"]["good"],
        "first_response": spread("first_response"),
        "resolution": spread("resolution"),
        # Compared by its margins: the dashboard shows open tickets by status and by team.
        "open": (open_by_status, open_by_team),
    }


def _assert_the_dashboard_says_what_the_metrics_say(filters: ReportFilters) -> None:
    expected, shown = _from_the_metrics(filters), _from_the_dashboard(filters)
    open_now = expected.pop("open")
    by_status, by_team = Counter(), Counter()
    for (status, team_id), count in open_now.items():
        by_status[status] += count
        by_team[team_id] += count
    assert shown.pop("open") == ({status: by_status[status] for status in OPEN_STATUS_VALUES}, dict(by_team))
    assert shown == expected


def _replies_from_the_comments(filters: ReportFilters) -> dict[str, Any]:
    """Staff's public replies of the current period, counted from every comment: on the day it was written, under
    its ticket's team, category and assignee as they are now (the agent filter of the totals), and under its author
    (the agents table). A merged ticket's one public message is the notice that it was merged: nobody's reply."""
    start, end = day_start(filters.start), day_start(filters.end + timedelta(days=1))
    replies = (
        Comment.objects.filter(internal=False, author__role__in=STAFF_ROLES, created_at__gte=start, created_at__lt=end)
        .exclude(author_id=F("ticket__requester_id"))
        .exclude(ticket__merged_into__isnull=False)
    )
    if filters.team_id is not None:
        replies = replies.filter(ticket__team_id=filters.team_id)
    if filters.category_id is not None:
        replies = replies.filter(ticket__category_id=filters.category_id)
    by_author = replies if filters.agent_id is None else replies.filter(author_id=filters.agent_id)
    on_tickets = replies if filters.agent_id is None else replies.filter(ticket__assignee_id=filters.agent_id)
    zone = reports_time_zone()
    written = on_tickets.values_list("created_at", flat=True)
    return {
        "total": on_tickets.count(),
        "by_day": Counter(timezone.localdate(moment, zone) for moment in written),
        "by_agent": Counter(by_author.values_list("author_id", flat=True)),
    }


def _replies_from_the_dashboard(filters: ReportFilters) -> dict[str, Any]:
    figures = dashboard(filters)
    return {
        "total": figures["totals"]["replies"]["value"],
        "by_day": Counter({row["day"]: row["replies"] for row in figures["daily"] if row["replies"]}),
        "by_agent": Counter({row["agent_id"]: row["replies"] for row in figures["agents"] if row["replies"]}),
    }


def _assert_the_replies_are_those_of_the_comments(filters: ReportFilters) -> None:
    assert _replies_from_the_dashboard(filters) == _replies_from_the_comments(filters), filters


def _filters(month) -> list[ReportFilters]:
    return [
        PERIOD,
        replace(PERIOD, team_id=month.support.pk),
        replace(PERIOD, team_id=month.sales.pk, category_id=month.orders.pk),
        replace(PERIOD, agent_id=month.bob.pk),
        replace(PERIOD, start=date(2026, 2, 1), end=date(2026, 3, 30)),
    ]


def test_the_rollups_give_the_figures_the_metrics_give(month) -> None:
    for filters in _filters(month):
        _assert_the_dashboard_says_what_the_metrics_say(filters)


def test_the_days_distributions_are_rolled_up_as_minutes_and_how_many(month) -> None:
    rows = {
        (row.day, row.duration, row.minutes): row.tickets
        for row in DurationRollup.objects.filter(day__gte=date(2026, 3, 1))
    }
    assert rows == {
        (date(2026, 3, 2), Duration.FIRST_RESPONSE, 10): 1,  # A
        (date(2026, 3, 2), Duration.FIRST_RESPONSE, 20): 1,  # B
        (date(2026, 3, 3), Duration.FIRST_RESPONSE, 30): 1,  # C
        (date(2026, 3, 4), Duration.FIRST_RESPONSE, 240): 1,  # E (F has none)
        (date(2026, 3, 6), Duration.FIRST_RESPONSE, 60): 1,  # D, by the day it came in
        (date(2026, 3, 2), Duration.RESOLUTION, 60): 1,  # A
        (date(2026, 3, 2), Duration.RESOLUTION, 120): 1,  # B, to its last resolution
        (date(2026, 3, 3), Duration.RESOLUTION, 480): 1,  # C
        (date(2026, 3, 10), Duration.RESOLUTION, 600): 1,  # D, by the day it was solved
    }
    march_2 = DailyRollup.objects.filter(day=date(2026, 3, 2)).values_list("created_web", "reopened", "rated_good")
    assert [sum(column) for column in zip(*march_2, strict=True)] == [2, 1, 1]


def test_the_settled_days_are_read_from_the_rollups_and_the_stale_ones_from_the_metrics(month) -> None:
    # Changed behind the services' back: the rolled-up day still counts it as it was, until it is marked stale.
    TicketMetrics.objects.filter(ticket=month.tickets["D"]).update(channel=Channel.API, first_response_minutes=61)
    figures = dashboard(PERIOD)
    assert {row["channel"]: row["count"] for row in figures["by_channel"]}["email"] == 1
    assert figures["first_response"]["median_minutes"]["value"] == 30.0

    StaleRollupDay.objects.create(day=date(2026, 3, 6))
    figures = dashboard(PERIOD)
    assert {row["channel"]: row["count"] for row in figures["by_channel"]}["api"] == 1
    assert figures["first_response"]["p90_minutes"]["value"] == 168.4  # 61 + 0.6 * (240 - 61)


def test_a_reopened_ticket_leaves_the_figures_at_once_and_after_the_rebuild(month, bob) -> None:
    ticket_change_status(ticket=month.tickets["B"], actor=bob, status=Status.OPEN)  # solved on 2 March
    ticket_metrics_update(ticket_id=month.tickets["B"].pk)  # what the status event's handler does

    for filters in _filters(month):  # no rollup run yet: 2 March is stale, so read from the metrics
        _assert_the_dashboard_says_what_the_metrics_say(filters)
    figures = dashboard(PERIOD)
    assert (figures["reopen_rate"]["solved"], figures["reopen_rate"]["reopened"]) == (3, 0)
    assert figures["resolution"]["median_minutes"]["value"] == 480.0
    assert {row["status"]: row["count"] for row in figures["open_by_status"]}["open"] == 1

    rollups_refresh()
    assert not StaleRollupDay.objects.exists()
    for filters in _filters(month):
        _assert_the_dashboard_says_what_the_metrics_say(filters)


def test_a_ticket_moved_to_another_team_is_counted_under_it(month, carol) -> None:
    other = Team.objects.create(name="Escalations")
    for name in ("C", "E"):  # C solved on 3 March, E still open
        ticket_update(ticket=month.tickets[name], actor=carol, changes=TicketChanges(team=other))
        ticket_metrics_update(ticket_id=month.tickets[name].pk)

    for filters in [*_filters(month), replace(PERIOD, team_id=other.pk)]:
        _assert_the_dashboard_says_what_the_metrics_say(filters)
    moved = dashboard(replace(PERIOD, team_id=other.pk))
    assert moved["first_response"]["count"] == 2
    assert [(row["team"], row["count"]) for row in moved["open_by_team"]] == [("Escalations", 1)]

    rollups_refresh()
    for filters in [*_filters(month), replace(PERIOD, team_id=other.pk)]:
        _assert_the_dashboard_says_what_the_metrics_say(filters)


CHANGES = {
    "team": lambda month: TicketChanges(team=Team.objects.create(name="Escalations")),
    "category": lambda month: TicketChanges(category=Category.objects.create(name="Refunds", slug="refunds")),
    "assignee": lambda month: TicketChanges(assignee=month.bob),
}


@pytest.mark.parametrize("change", CHANGES)
def test_replies_of_past_days_follow_their_ticket_to_another_team_category_or_assignee(
    month, carol, change, django_capture_on_commit_callbacks
) -> None:
    # D: Sales/Orders, nobody's, created on 6 March, dave replied on 9 March (a day it was neither created nor solved
    # on), solved on 10 March.
    changes = CHANGES[change](month)
    with django_capture_on_commit_callbacks(execute=True):  # the events' handlers, as the worker runs them
        ticket_update(ticket=month.tickets["D"], actor=carol, changes=changes)

    rollups_refresh()

    moved = replace(PERIOD, **{f"{'agent' if change == 'assignee' else change}_id": vars(changes)[change].pk})
    for filters in [*_filters(month), moved]:
        _assert_the_replies_are_those_of_the_comments(filters)
    assert _replies_from_the_dashboard(moved)["by_day"][date(2026, 3, 9)] == 1


def test_recent_replies_of_a_ticket_opened_over_a_year_ago_follow_it_to_another_team(
    month, alice, bob, carol, django_capture_on_commit_callbacks
) -> None:
    # Its creation day is older than what a rollup run rebuilds (a year): only the day of its reply can tell.
    with time_machine.travel(datetime(2025, 2, 3, 9, 0, tzinfo=UTC), tick=False) as traveller:
        old = ticket_create(requester=alice, subject="Old", category=month.billing)
        traveller.move_to(datetime(2026, 3, 20, 9, 0, tzinfo=UTC))
        comment_create(ticket=old, author=bob, body="Still on it.")
    ticket_metrics_update(ticket_id=old.pk)
    rollups_backfill()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=old, actor=carol, changes=TicketChanges(team=month.sales))

    rollups_refresh()

    for filters in [*_filters(month), replace(PERIOD, team_id=month.sales.pk)]:
        _assert_the_replies_are_those_of_the_comments(filters)
    assert _replies_from_the_dashboard(replace(PERIOD, team_id=month.sales.pk))["by_day"][date(2026, 3, 20)] == 1


@pytest.mark.parametrize("into", ["same requester", "another requester"])
def test_replies_moved_by_a_merge_are_counted_where_they_went(
    month, bob, mallory, into, django_capture_on_commit_callbacks
) -> None:
    if into == "same requester":  # dave's reply of 9 March moves to E (Support/Billing, bob's) as it was
        target = month.tickets["E"]
    else:  # it moves as an internal note: no longer a reply to anyone
        target = ticket_create(requester=mallory, subject="Order lost", category=month.billing)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=month.tickets["D"], target=target, actor=bob)

    rollups_refresh()

    for filters in [*_filters(month), replace(PERIOD, agent_id=month.dave.pk)]:
        _assert_the_replies_are_those_of_the_comments(filters)
    # A, B, C and E answered by bob, D by dave; the notice written on D today is nobody's reply.
    expected = 5 if into == "same requester" else 4
    assert dashboard(PERIOD)["totals"]["replies"]["value"] == expected


def test_a_deleted_ticket_leaves_the_figures_with_the_next_rollup_run(month) -> None:
    month.tickets["F"].delete()  # open, breached its SLA, created on 4 March
    month.tickets["C"].delete()  # solved on 3 March, rated bad

    rollups_refresh()

    assert set(OpenTicketCount.objects.values_list("status", "tickets")) == {("pending", 1)}
    for filters in _filters(month):
        _assert_the_dashboard_says_what_the_metrics_say(filters)
    figures = dashboard(PERIOD)
    assert figures["sla_breach_rate"]["tracked"] == 4
    assert figures["csat_score"]["rated"] == 1


def test_the_backfill_rebuilds_the_open_counts_and_distributions(month) -> None:
    OpenTicketCount.objects.update(tickets=7)
    DurationRollup.objects.all().delete()

    call_command("reports_backfill", "--rollups-only", stdout=open("/dev/null", "w"))  # noqa: SIM115

    for filters in _filters(month):
        _assert_the_dashboard_says_what_the_metrics_say(filters)


def test_the_open_counts_follow_each_event(alice, bob, carol, category, django_capture_on_commit_callbacks) -> None:
    def run(function, /, **kwargs):  # the events' handlers run once the change commits, as in the worker
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    def counts() -> dict[tuple, int]:
        rows = OpenTicketCount.objects.values_list("status", "priority", "team_id", "assignee_id", "tickets")
        return {tuple(key): n for *key, n in rows if n}

    def recounted() -> dict[tuple, int]:
        rows = (
            TicketMetrics.objects.filter(status__in=OPEN_STATUS_VALUES)
            .values_list("status", "priority", "team_id", "assignee_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {tuple(key): n for *key, n in rows}

    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=UTC), tick=False):
        first = run(ticket_create, requester=alice, subject="Printer", category=category)
        second = run(ticket_create, requester=alice, subject="Screen", category=category)
        assert counts() == recounted() and sum(counts().values()) == 2
        run(ticket_update, ticket=first, actor=carol, changes=TicketChanges(assignee=bob))
        assert counts() == recounted()
        run(ticket_change_status, ticket=second, actor=bob, status=Status.PENDING)
        assert counts() == recounted()
        ticket_metrics_update(ticket_id=second.pk)  # an event delivered twice changes nothing
        assert counts() == recounted()
        second = run(ticket_change_status, ticket=second, actor=bob, status=Status.RESOLVED)
        assert counts() == recounted() and sum(counts().values()) == 1
        run(ticket_change_status, ticket=Ticket.objects.get(pk=second.pk), actor=bob, status=Status.OPEN)
        assert counts() == recounted() and sum(counts().values()) == 2


@pytest.mark.parametrize(
    "values", [[5], [1, 2], [3, 3, 3, 9], [0, 10, 10, 10, 20, 20, 400], [*range(0, 1000, 7), 7, 7, 7]]
)
def test_percentiles_of_counted_values_equal_those_of_the_values(values: list[int]) -> None:
    ordered = sorted(values)
    counted = sorted(Counter(values).items())
    for p in (0, 0.5, 0.9, 1):
        assert percentile_of_counts(counted, p) == pytest.approx(percentile(ordered, p))
    assert percentile_of_counts([], 0.5) is None
