"""sla.selectors.running_clocks_by_ticket and running_clock_values_by_ticket: a page's running clocks as the prefetch
reads them, for any number of tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sla.models import BusinessCalendar, Metric, SlaClock
from sla.selectors import (
    CLOCK_API_COLUMNS,
    running_clock_values_by_ticket,
    running_clocks_by_ticket,
    running_clocks_prefetch,
)
from tickets.models import Ticket


def _clock(ticket: Ticket, metric: str, started_minutes_ago: int, **fields: object) -> SlaClock:
    started = timezone.now() - timedelta(minutes=started_minutes_ago)
    return SlaClock(ticket=ticket, metric=metric, started_at=started, counted_until=started, **fields)


@pytest.mark.parametrize("count", [1, 7, 130])  # 130: more tickets than one query takes
def test_the_running_clocks_of_any_number_of_tickets_are_the_prefetchs(alice, count):
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/Berlin")
    tickets = Ticket.objects.bulk_create(Ticket(requester=alice, subject=f"T{number}") for number in range(count))
    clocks = []
    for number, ticket in enumerate(tickets):
        clocks.append(_clock(ticket, Metric.RESOLUTION, 5, calendar=calendar if number % 2 else None))
        clocks.append(_clock(ticket, Metric.FIRST_RESPONSE, 10))  # started first: listed first
        clocks.append(_clock(ticket, Metric.NEXT_RESPONSE, 20, stopped_at=timezone.now()))  # not running
    SlaClock.objects.bulk_create(clocks)
    without_clocks = Ticket.objects.create(requester=alice, subject="None")
    ids = [ticket.pk for ticket in tickets] + [without_clocks.pk]

    found = running_clocks_by_ticket(ids)

    prefetched = Ticket.objects.filter(pk__in=ids).prefetch_related(running_clocks_prefetch())
    expected = {ticket.pk: ticket.running_sla_clocks for ticket in prefetched if ticket.running_sla_clocks}
    assert found == expected
    assert len(found) == count
    assert all([clock.metric for clock in running] == ["first_response", "resolution"] for running in found.values())
    read_calendars = {clock.calendar for running in found.values() for clock in running}
    assert read_calendars == ({None, calendar} if count > 1 else {None})

    values = running_clock_values_by_ticket(ids)  # the API list's reading: the same clocks, as values
    assert values == {
        ticket: [{name: getattr(clock, name) for name in CLOCK_API_COLUMNS} for clock in running]
        for ticket, running in expected.items()
    }


def test_no_tickets_read_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert running_clocks_by_ticket([]) == {}
        assert running_clock_values_by_ticket([]) == {}
