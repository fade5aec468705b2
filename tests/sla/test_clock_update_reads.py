"""What bringing a ticket's clocks in line reads: the calendar once (then kept by its id alone), the replies only for a
next-response promise, and nothing at all for an internal note, which changes nothing a clock measures."""

from __future__ import annotations

from datetime import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sla.models import BusinessCalendar, Metric, OpeningHours, SlaClock, SlaPolicy, SlaTarget, TeamCalendar
from sla.selectors import calendar_for, schedule_of
from sla.services import sla_clocks_update
from tests.sla.conftest import berlin
from tickets.models import Priority, Status, Team, Ticket
from tickets.services import comment_create, ticket_create


def _statements(captured: CaptureQueriesContext, table: str) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if f'"{table}"' in query["sql"]]


def _clock_rows(ticket: Ticket) -> list[tuple[object, ...]]:
    return list(SlaClock.objects.filter(ticket=ticket).order_by("id").values_list())


def test_an_internal_note_leaves_the_clocks_alone_and_a_reply_still_meets_the_first_response(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    before = _clock_rows(ticket)
    clock.to(berlin(2026, 3, 2, 10, 0))

    with CaptureQueriesContext(connection) as captured:
        comment_create(ticket=ticket, author=bob, body="Checking the logs first.", internal=True)

    assert not [query for query in captured.captured_queries if '"sla_' in query["sql"]]
    assert _clock_rows(ticket) == before

    clock.to(berlin(2026, 3, 2, 10, 30))
    comment_create(ticket=ticket, author=bob, body="Found it.")
    answered = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert answered.met_at == berlin(2026, 3, 2, 10, 30)
    assert answered.elapsed.total_seconds() == 90 * 60  # the note's half hour is counted all the same


def test_an_internal_note_that_sets_pending_pauses_the_clocks(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))
    comment_create(ticket=ticket, author=bob, body="Open first.", internal=True, status=Status.OPEN)
    comment_create(ticket=ticket, author=bob, body="Waiting on the vendor.", internal=True, status=Status.PENDING)
    running = SlaClock.objects.running().filter(ticket=ticket)
    assert running.count() == 2
    assert all(clock.paused for clock in running)


@pytest.fixture
def no_next_response(office: BusinessCalendar) -> SlaPolicy:
    policy = SlaPolicy.objects.create(name="Answers and fixes", position=10)
    SlaTarget.objects.create(
        policy=policy, priority=Priority.NORMAL, first_response_minutes=8 * 60, resolution_minutes=40 * 60
    )
    return policy


def test_without_a_next_response_promise_the_replies_are_not_read(alice, bob, no_next_response, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Invoice")
    comment_create(ticket=ticket, author=bob, body="On it.")
    comment_create(ticket=ticket, author=alice, body="Thanks, any news?")
    clock.to(berlin(2026, 3, 2, 11, 0))

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        sla_clocks_update(ticket=Ticket.objects.select_for_update().get(pk=ticket.pk))

    assert _statements(captured, "tickets_comment") == []
    assert not SlaClock.objects.running().filter(ticket=ticket, metric=Metric.NEXT_RESPONSE).exists()


def test_with_a_next_response_promise_a_requester_reply_starts_its_clock(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    comment_create(ticket=ticket, author=bob, body="On it.")
    clock.to(berlin(2026, 3, 2, 11, 0))
    comment_create(ticket=ticket, author=alice, body="Still down.")
    waiting = SlaClock.objects.running().get(ticket=ticket, metric=Metric.NEXT_RESPONSE)
    assert waiting.started_at == berlin(2026, 3, 2, 11, 0)


def test_the_clocks_calendar_is_read_once_with_its_hours(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 10, 0))

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        sla_clocks_update(ticket=Ticket.objects.select_for_update().get(pk=ticket.pk))

    read, kept = _statements(captured, "sla_businesscalendar")
    assert '"sla_businesscalendar"."time_zone"' in read  # all of it, then its hours: for the schedule
    assert '"sla_businesscalendar"."time_zone"' not in kept  # its id alone, held until the commit (sla.services._kept)
    assert len(_statements(captured, "sla_openinghours")) == 1
    assert not [query for query in captured.captured_queries if "SAVEPOINT" in query["sql"]]  # the caller's transaction


def test_a_failing_clock_update_undoes_the_reply_it_follows(alice, bob, policy, clock, monkeypatch):
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)

    def broken(*args: object) -> None:
        raise RuntimeError("calendar service down")

    monkeypatch.setattr("sla.services._plan", broken)
    with pytest.raises(RuntimeError):
        comment_create(ticket=ticket, author=bob, body="On it.")
    assert not ticket.comments.exists()
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is None


@pytest.fixture
def night_shift(db: None) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="Night shift", time_zone="Europe/Berlin")
    OpeningHours.objects.create(calendar=calendar, weekday=0, opens=time(22), closes=time(23, 59))
    return calendar


def test_a_teams_calendar_comes_before_the_default_and_with_its_hours(alice, office, night_shift, ticket):
    assert calendar_for(ticket) == office
    TeamCalendar.objects.create(team_id=ticket.team_id, calendar=night_shift)
    TeamCalendar.objects.create(team=Team.objects.create(name="Other"), calendar=office)

    chosen = calendar_for(ticket)

    assert chosen == night_shift
    with CaptureQueriesContext(connection) as captured:
        schedule = schedule_of(chosen)
    assert captured.captured_queries == []
    assert schedule.weekly[0] == ((22 * 60, 23 * 60 + 59),)


def test_a_ticket_without_a_team_gets_the_default_calendar_and_none_without_one(alice, office, night_shift):
    ticket = ticket_create(requester=alice, subject="No team yet")
    assert ticket.team_id is None
    assert calendar_for(ticket) == office
    office.delete()
    assert calendar_for(ticket) is None
