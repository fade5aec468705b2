"""The periodic sweep records each warning and breach once, as `sla.warning` and `sla.breached` events."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, EventKind
from sla.models import Metric, SlaClock
from sla.services import sla_sweep
from tests.sla.conftest import berlin
from tickets.models import Priority, Status
from tickets.services import comment_create, ticket_change_status, ticket_create


def test_a_warning_at_75_percent_and_a_breach_at_the_due_time_each_come_once(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    clock.to(berlin(2026, 3, 2, 11, 59))
    sla_sweep()
    assert not Event.objects.filter(kind__startswith="sla.").exists()

    clock.to(berlin(2026, 3, 2, 12, 0))
    sla_sweep()
    sla_sweep()
    warnings = Event.objects.filter(kind=EventKind.SLA_WARNING, ticket=ticket)
    assert [event.payload["metric"] for event in warnings] == [Metric.FIRST_RESPONSE]

    clock.to(berlin(2026, 3, 2, 13, 5))
    sla_sweep()
    sla_sweep()
    breaches = Event.objects.filter(kind=EventKind.SLA_BREACHED, ticket=ticket)
    assert [event.payload["metric"] for event in breaches] == [Metric.FIRST_RESPONSE]
    first = SlaClock.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first.breached_at == berlin(2026, 3, 2, 13, 0)  # when it was missed, not when the sweep noticed
    assert first.warned_at == berlin(2026, 3, 2, 12, 0)


def test_the_sweep_reads_only_clocks_whose_time_has_come_through_the_index(alice, bob, policy, clock):
    clock.to(berlin(2026, 3, 2, 9, 0))
    for number in range(5):
        ticket_create(requester=alice, actor=bob, subject=f"Slow {number}")
    clock.to(berlin(2026, 3, 2, 9, 1))
    with CaptureQueriesContext(connection) as queries:
        assert sla_sweep() == 0
    clock_reads = [q["sql"] for q in queries if 'FROM "sla_slaclock"' in q["sql"]]
    assert len(clock_reads) == 1 and '"next_check_at" <=' in clock_reads[0]


def _kinds(ticket, kind):
    return [event.payload["metric"] for event in Event.objects.filter(ticket=ticket, kind=kind).order_by("id")]


def test_reopening_a_ticket_whose_resolution_was_already_missed_neither_warns_nor_breaches_again(
    alice, bob, policy, clock
):
    clock.to(berlin(2026, 3, 2, 9, 0))  # Monday: urgent, resolution 16 business hours, due Tuesday 17:00
    ticket = ticket_create(requester=alice, actor=bob, subject="Down", priority=Priority.URGENT)
    comment_create(ticket=ticket, author=bob, body="Looking into it.")
    clock.to(berlin(2026, 3, 3, 18, 0))
    sla_sweep()
    assert _kinds(ticket, EventKind.SLA_WARNING) == [Metric.RESOLUTION]
    assert _kinds(ticket, EventKind.SLA_BREACHED) == [Metric.RESOLUTION]

    clock.to(berlin(2026, 3, 4, 10, 0))
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    clock.to(berlin(2026, 3, 5, 10, 0))
    comment_create(ticket=ticket, author=alice, body="It is broken again.")  # reopens, 17 of 16 hours used
    clock.to(berlin(2026, 3, 5, 10, 1))
    sla_sweep()

    # The resolution target was missed once, on Tuesday at 17:00: nobody should be told "due soon" or "missed"
    # about it a second time, and the record should keep when it was missed.
    assert _kinds(ticket, EventKind.SLA_WARNING) == [Metric.RESOLUTION]
    assert _kinds(ticket, EventKind.SLA_BREACHED) == [Metric.RESOLUTION]
    running = SlaClock.objects.running().get(ticket=ticket, metric=Metric.RESOLUTION)
    assert running.breached_at == berlin(2026, 3, 3, 17, 0)
