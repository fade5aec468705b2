"""A fault delays the sweep's work, it never loses it: a clock or a notice the sweep fails on is logged and set aside,
and the others go on; a database outage or the task's time limit stops the sweep, and the next one goes on."""

from __future__ import annotations

from datetime import timedelta

import psycopg.errors
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

import sla.notifications
import sla.services
from events.models import Event, EventKind
from notifications.models import Notification
from sla.models import EscalationKind, EscalationNotice, Metric, SlaClock
from sla.services import escalation_notice_create, sla_notices_send, sla_sweep
from tests.sla.conftest import berlin
from tickets.models import Priority, Ticket
from tickets.services import TicketChanges, ticket_create, ticket_update


def _first_response(ticket: Ticket) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)


def _recorded(ticket: Ticket) -> list[str]:
    return sorted(Event.objects.filter(ticket=ticket, kind__startswith="sla.").values_list("kind", flat=True))


@pytest.fixture
def two_urgent_tickets(alice, bob, policy, clock) -> tuple[Ticket, Ticket]:
    """Monday: 4 business hours to a first answer. The first is warned at 12:00 and due 13:00, the second a minute
    later, so the sweep meets the first one first."""
    clock.to(berlin(2026, 3, 2, 9, 0))
    first = ticket_create(requester=alice, actor=bob, subject="Broken one", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 9, 1))
    second = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    return first, second


def test_a_clock_the_sweep_fails_on_is_set_aside_and_does_not_hold_back_the_others(
    two_urgent_tickets, clock, monkeypatch, caplog
):
    first, second = two_urgent_tickets
    record = sla.services.event_record

    def fails_on_the_first_ticket(*, ticket: Ticket, **kwargs: object) -> object:
        if ticket.pk == first.pk:
            raise RuntimeError("a bug met only on this ticket")
        return record(ticket=ticket, **kwargs)

    monkeypatch.setattr("sla.services.event_record", fails_on_the_first_ticket)
    clock.to(berlin(2026, 3, 2, 12, 30))
    assert sla_sweep() == 2
    assert _recorded(second) == [EventKind.SLA_WARNING]
    assert _recorded(first) == []
    assert "a bug met only on this ticket" in caplog.text  # logged with its traceback, for whoever watches the logs
    assert _first_response(first).next_check_at == berlin(2026, 3, 2, 13, 30)

    clock.to(berlin(2026, 3, 2, 12, 31))
    assert sla_sweep() == 0  # set aside: not failed again every minute

    monkeypatch.setattr("sla.services.event_record", record)  # the fault is fixed
    clock.to(berlin(2026, 3, 2, 13, 30))
    sla_sweep()
    assert _recorded(first) == [EventKind.SLA_BREACHED, EventKind.SLA_WARNING]  # late, never lost
    assert _first_response(first).breached_at == berlin(2026, 3, 2, 13, 0)  # when it was missed, as always


@pytest.mark.parametrize(
    "stop",
    [
        OperationalError("server closed the connection unexpectedly"),
        OperationalError("database is locked"),  # SQLite locks the whole file: the rows after it would wait as long
        SoftTimeLimitExceeded(),
    ],
    ids=repr,
)
def test_a_database_outage_or_the_time_limit_stops_the_sweep_and_the_next_sweep_records(
    two_urgent_tickets, clock, monkeypatch, stop
):
    first, _ = two_urgent_tickets
    record = sla.services.event_record

    def stopped(**kwargs: object) -> object:
        raise stop

    monkeypatch.setattr("sla.services.event_record", stopped)
    clock.to(berlin(2026, 3, 2, 12, 30))
    with pytest.raises(type(stop)):
        sla_sweep()
    assert _first_response(first).next_check_at == berlin(2026, 3, 2, 12, 0)  # not the clock's fault: not set aside

    monkeypatch.setattr("sla.services.event_record", record)
    clock.to(berlin(2026, 3, 2, 12, 31))
    assert sla_sweep() == 2
    assert _recorded(first) == [EventKind.SLA_WARNING]


@pytest.fixture
def two_notices(two_urgent_tickets, bob, clock) -> tuple[EscalationNotice, EscalationNotice]:
    """A warning owed on each ticket, due now (the office is open); bob has both tickets."""
    first, second = two_urgent_tickets
    clock.to(berlin(2026, 3, 2, 12, 0))
    notices = []
    for ticket in (first, second):
        ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(assignee=bob))
        escalation_notice_create(clock_id=_first_response(ticket).pk, kind=EscalationKind.WARNING)
        notices.append(EscalationNotice.objects.get(clock__ticket=ticket))
    return notices[0], notices[1]


def _mail_failing_for(notice: EscalationNotice, monkeypatch: pytest.MonkeyPatch) -> None:
    mail_escalation = sla.notifications.mail_escalation

    def fails_on_that_notice(*, notice: EscalationNotice) -> None:
        if notice.pk == failing.pk:
            raise RuntimeError("a bug met only on this notice")
        mail_escalation(notice=notice)

    failing = notice
    monkeypatch.setattr("sla.notifications.mail_escalation", fails_on_that_notice)


def test_a_notice_that_fails_is_retried_later_and_does_not_hold_back_the_others(two_notices, clock, monkeypatch):
    first, second = two_notices
    _mail_failing_for(first, monkeypatch)

    assert sla_notices_send() == 1
    assert Notification.objects.filter(key=f"sla-notice:{second.pk}").exists()
    first.refresh_from_db()
    assert (first.sent_at, first.failed_at, first.attempts) == (None, None, 1)
    assert "a bug met only on this notice" in first.last_error
    assert first.send_after > berlin(2026, 3, 2, 12, 0)

    assert sla_notices_send() == 0  # not tried again every minute
    first.refresh_from_db()
    assert first.attempts == 1

    monkeypatch.undo()  # the fault is fixed
    clock.to(first.send_after)
    assert sla_notices_send() == 1
    first.refresh_from_db()
    assert first.sent_at == first.send_after and first.attempts == 1
    assert Notification.objects.filter(key=f"sla-notice:{first.pk}").exists()


def test_a_notice_that_keeps_failing_is_given_up_with_its_reason(two_notices, clock, monkeypatch, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    first, _ = two_notices
    _mail_failing_for(first, monkeypatch)
    for _ in range(3):
        sla_notices_send()
        first.refresh_from_db()
        clock.to(first.send_after + timedelta(seconds=1))

    assert first.attempts == 3 and first.sent_at is None
    assert first.failed_at is not None and "a bug met only on this notice" in first.last_error
    clock.to(first.failed_at + timedelta(days=1))
    assert sla_notices_send() == 0
    first.refresh_from_db()
    assert first.attempts == 3  # given up: no more tries, the reason kept for an admin
    assert not EscalationNotice.objects.unsent().filter(pk=first.pk).exists()


@pytest.mark.parametrize(
    "stop", [OperationalError("server closed the connection unexpectedly"), SoftTimeLimitExceeded()], ids=repr
)
def test_a_database_outage_or_the_time_limit_stops_the_notices_and_counts_no_attempt(two_notices, monkeypatch, stop):
    first, _ = two_notices

    def stopped(**kwargs: object) -> None:
        raise stop

    monkeypatch.setattr("sla.notifications.mail_escalation", stopped)
    with pytest.raises(type(stop)):
        sla_notices_send()
    first.refresh_from_db()
    assert (first.sent_at, first.attempts, first.send_after) == (None, 0, berlin(2026, 3, 2, 12, 0))

    monkeypatch.undo()
    assert sla_notices_send() == 2


def _as_django_raises(driver_error: Exception) -> OperationalError:
    """The error a query meets, as Django raises it: the driver's error wrapped, the driver's as its cause."""
    error = OperationalError(str(driver_error))
    error.__cause__ = driver_error
    return error


ROW_LOCK_FAILURES = [
    _as_django_raises(psycopg.errors.DeadlockDetected("deadlock detected")),
    _as_django_raises(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")),
]


@pytest.mark.parametrize("locked", ROW_LOCK_FAILURES, ids=repr)
def test_a_clock_whose_lock_fails_is_left_for_the_next_sweep_and_the_others_go_on(
    two_urgent_tickets, clock, monkeypatch, locked
):
    first, second = two_urgent_tickets
    record = sla.services.event_record

    def locked_on_the_first_ticket(*, ticket: Ticket, **kwargs: object) -> object:
        if ticket.pk == first.pk:
            raise locked
        return record(ticket=ticket, **kwargs)

    monkeypatch.setattr("sla.services.event_record", locked_on_the_first_ticket)
    clock.to(berlin(2026, 3, 2, 12, 30))
    assert sla_sweep() == 2
    assert _recorded(second) == [EventKind.SLA_WARNING]
    assert _first_response(first).next_check_at == berlin(2026, 3, 2, 12, 0)  # no fault of its own: due as it was

    monkeypatch.setattr("sla.services.event_record", record)
    clock.to(berlin(2026, 3, 2, 12, 31))
    sla_sweep()
    assert _recorded(first) == [EventKind.SLA_WARNING]  # the next sweep records it


@pytest.mark.parametrize("locked", ROW_LOCK_FAILURES, ids=repr)
def test_a_notice_whose_lock_fails_is_left_for_the_next_run_without_an_attempt(two_notices, monkeypatch, locked):
    first, _second = two_notices
    mail_escalation = sla.notifications.mail_escalation

    def locked_on_the_first(*, notice: EscalationNotice) -> None:
        if notice.pk == first.pk:
            raise locked
        mail_escalation(notice=notice)

    monkeypatch.setattr("sla.notifications.mail_escalation", locked_on_the_first)
    assert sla_notices_send() == 1
    first.refresh_from_db()
    assert (first.sent_at, first.attempts, first.send_after) == (None, 0, berlin(2026, 3, 2, 12, 0))

    monkeypatch.undo()
    assert sla_notices_send() == 1


class RanOnAndOn(BaseException):
    """Raised past any bound a sweep of two due clocks can need: the run would never end (not an Exception, so no
    `except Exception` of the sweep's takes it)."""


def test_clocks_whose_locks_keep_failing_end_the_sweep_once_each_was_tried(two_urgent_tickets, clock, monkeypatch):
    first, second = two_urgent_tickets
    monkeypatch.setattr(sla.services, "SWEEP_BATCH", 2)  # a full batch of clocks another transaction holds
    tried: list[int] = []

    def locked(*, ticket: Ticket, **kwargs: object) -> object:
        tried.append(ticket.pk)
        if len(tried) > 10:
            raise RanOnAndOn
        raise _as_django_raises(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))

    monkeypatch.setattr("sla.services.event_record", locked)
    clock.to(berlin(2026, 3, 2, 12, 30))
    sla_sweep()
    assert sorted(tried) == sorted([first.pk, second.pk])  # each once: the next sweep tries them again
    assert _first_response(first).next_check_at == berlin(2026, 3, 2, 12, 0)


def test_a_clock_whose_check_times_out_is_set_aside_as_its_own_fault(two_urgent_tickets, clock, monkeypatch):
    """statement_timeout (57014) is not a lock: a check that always takes too long is set aside with the others' faults,
    not tried again on every sweep, never recorded."""
    first, second = two_urgent_tickets
    record = sla.services.event_record

    def too_slow_on_the_first(*, ticket: Ticket, **kwargs: object) -> object:
        if ticket.pk == first.pk:
            raise _as_django_raises(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
        return record(ticket=ticket, **kwargs)

    monkeypatch.setattr("sla.services.event_record", too_slow_on_the_first)
    clock.to(berlin(2026, 3, 2, 12, 30))
    assert sla_sweep() == 2
    assert _recorded(second) == [EventKind.SLA_WARNING]
    assert _first_response(first).next_check_at == berlin(2026, 3, 2, 13, 30)  # looked at again later


def test_a_notice_whose_sending_times_out_counts_an_attempt(two_notices, monkeypatch):
    first, _second = two_notices
    mail_escalation = sla.notifications.mail_escalation

    def too_slow_on_the_first(*, notice: EscalationNotice) -> None:
        if notice.pk == first.pk:
            raise _as_django_raises(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
        mail_escalation(notice=notice)

    monkeypatch.setattr("sla.notifications.mail_escalation", too_slow_on_the_first)
    assert sla_notices_send() == 1
    first.refresh_from_db()
    assert first.attempts == 1 and "statement timeout" in first.last_error  # backs off, given up in the end
