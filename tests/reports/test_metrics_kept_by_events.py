"""Metrics follow the events as the worker handles them; the backfill and the beat task recompute the same rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.forms.models import model_to_dict

from csat.models import Rating, SatisfactionSurvey
from csat.services import survey_rate
from reports.models import AgentDailyRollup, DailyRollup, StaleRollupDay, TicketMetrics
from reports.selectors import ReportFilters, dashboard
from reports.services import rollups_refresh, ticket_metrics_update
from tests.reports.conftest import PERIOD
from tickets.models import Status
from tickets.services import (
    TicketChanges,
    comment_create,
    ticket_change_status,
    ticket_create,
    ticket_merge,
    ticket_update,
)


def _rows(model) -> list[dict]:
    return sorted(
        (model_to_dict(row, exclude=["id", "computed_at"]) for row in model.objects.all()), key=lambda row: str(row)
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a service; the events' handlers run once its change commits, as in the worker."""

    def run(function, /, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def test_each_event_recomputes_the_tickets_metrics(alice, bob, carol, category, run) -> None:
    with time_machine.travel(datetime(2026, 3, 6, 16, 30, tzinfo=UTC), tick=False) as traveller:
        ticket = run(ticket_create, requester=alice, subject="Refund", category=category)
        metrics = TicketMetrics.objects.get(ticket=ticket)
        assert (metrics.status, metrics.team.name, metrics.first_response_minutes) == ("new", "Support", None)

        run(ticket_update, ticket=ticket, actor=carol, changes=TicketChanges(assignee=bob))
        assert TicketMetrics.objects.get(ticket=ticket).assignee == bob

        traveller.move_to(datetime(2026, 3, 9, 9, 30, tzinfo=UTC))  # Monday: 30 + 30 minutes of opening hours
        run(comment_create, ticket=ticket, author=bob, body="On it.")
        metrics = TicketMetrics.objects.get(ticket=ticket)
        assert (metrics.first_response_minutes, metrics.replies) == (60, 1)

        traveller.move_to(datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
        ticket = run(ticket_change_status, ticket=ticket, actor=bob, status=Status.RESOLVED)
        metrics = TicketMetrics.objects.get(ticket=ticket)
        assert (metrics.resolution_minutes, metrics.solved_by, metrics.reopen_count) == (90, bob, 0)

        survey = SatisfactionSurvey.objects.get(ticket=ticket)  # asked by the csat app's handler
        run(survey_rate, survey=survey, rating=Rating.GOOD, actor=alice)
        assert TicketMetrics.objects.get(ticket=ticket).csat_rating == "good"

        traveller.move_to(datetime(2026, 3, 9, 11, 0, tzinfo=UTC))
        run(comment_create, ticket=ticket, author=alice, body="Still broken.")  # reopens it
        metrics = TicketMetrics.objects.get(ticket=ticket)
        assert (metrics.status, metrics.reopen_count, metrics.solved_at, metrics.resolution_minutes) == (
            "open",
            1,
            None,
            None,
        )


def test_a_merge_recomputes_the_metrics_of_the_ticket_the_replies_moved_to(
    alice, bob, category, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        target = ticket_create(requester=alice, subject="Invoice wrong", category=category)
        source = ticket_create(requester=alice, subject="Invoice wrong again", category=category)
        comment_create(ticket=source, author=bob, body="Looking into it.")
        comment_create(ticket=source, author=bob, body="Fixed, I think.")
    assert TicketMetrics.objects.get(ticket=target).replies == 0

    with django_capture_on_commit_callbacks(execute=True):
        ticket_merge(source=source, target=target, actor=bob)

    # The two replies are in the target's conversation now; its first response is still its own (none yet), as the
    # SLA clock reads it.
    metrics = TicketMetrics.objects.get(ticket=target)
    assert (metrics.replies, metrics.first_response_at) == (2, None)
    assert TicketMetrics.objects.get(ticket=source).replies == 0  # the notice that it was merged is nobody's reply


def test_the_merge_notice_is_neither_a_reply_nor_a_first_response(alice, bob, category, run) -> None:
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=UTC), tick=False) as traveller:
        target = run(ticket_create, requester=alice, subject="Invoice wrong", category=category)
        source = run(ticket_create, requester=alice, subject="Invoice wrong again", category=category)
        traveller.move_to(datetime(2026, 3, 9, 9, 30, tzinfo=UTC))
        run(ticket_merge, source=source, target=target, actor=bob)  # nobody had answered either

        for ticket in (source, target):
            metrics = TicketMetrics.objects.get(ticket=ticket)
            assert (metrics.replies, metrics.first_response_at, metrics.first_response_minutes) == (0, None, None)
        rollups_refresh()
        assert sum(DailyRollup.objects.values_list("replies", flat=True)) == 0
        assert sum(AgentDailyRollup.objects.values_list("replies", flat=True)) == 0
        figures = dashboard(ReportFilters(start=date(2026, 3, 9), end=date(2026, 3, 9)))
    assert (figures["totals"]["replies"]["value"], figures["first_response"]["count"]) == (0, 0)
    assert [row["replies"] for row in figures["agents"]] == [0] * len(figures["agents"])


def test_a_tickets_metrics_in_the_known_month(month) -> None:
    d = TicketMetrics.objects.get(ticket=month.tickets["D"])
    assert d.first_response_minutes == 60  # Friday 16:30 to Monday 09:30 in opening hours
    assert d.resolution_minutes == 600
    assert d.solved_by == month.dave
    assert d.channel == "email"
    b = TicketMetrics.objects.get(ticket=month.tickets["B"])
    assert (b.reopen_count, b.resolution_minutes, b.replies) == (1, 120, 1)
    f = TicketMetrics.objects.get(ticket=month.tickets["F"])
    assert (f.sla_breached, f.first_response_minutes, f.solved_at) == (True, None, None)
    assert TicketMetrics.objects.get(ticket=month.tickets["A"]).csat_rating == "good"


def test_the_backfill_command_and_the_beat_task_recompute_the_same_rows(month) -> None:
    metrics, rollups, agent_rollups = _rows(TicketMetrics), _rows(DailyRollup), _rows(AgentDailyRollup)
    TicketMetrics.objects.all().delete()
    DailyRollup.objects.all().delete()

    call_command("reports_backfill", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _rows(TicketMetrics) == metrics
    assert (_rows(DailyRollup), _rows(AgentDailyRollup)) == (rollups, agent_rollups)

    for ticket in month.tickets.values():
        ticket_metrics_update(ticket_id=ticket.pk)
    rollups_refresh()
    rollups_refresh()
    assert (_rows(TicketMetrics), _rows(DailyRollup), _rows(AgentDailyRollup)) == (metrics, rollups, agent_rollups)


def test_reopening_a_ticket_solved_weeks_ago_rebuilds_the_days_since(month, bob) -> None:
    ticket_change_status(ticket=month.tickets["C"], actor=bob, status=Status.OPEN)  # it was solved on 3 March
    ticket_metrics_update(ticket_id=month.tickets["C"].pk)  # what the status event's handler does
    assert list(StaleRollupDay.objects.values_list("day", flat=True)) == [date(2026, 3, 3)]

    rollups_refresh()

    assert not StaleRollupDay.objects.exists()
    figures = dashboard(PERIOD)
    daily = {row["day"]: row for row in figures["daily"]}
    assert (daily[date(2026, 3, 3)]["solved"], daily[date(2026, 3, 3)]["backlog"]) == (0, 1)
    assert figures["totals"]["solved"]["value"] == 3
    assert figures["totals"]["backlog_at_end"]["value"] == 3
