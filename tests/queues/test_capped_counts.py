from __future__ import annotations

import pytest

from queues.selectors import capped_counts
from tickets.models import Priority, Ticket
from tickets.services import ticket_create


@pytest.fixture
def tickets(alice) -> list[Ticket]:
    created = [ticket_create(requester=alice, subject=f"Problem {number}") for number in range(5)]
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in created[:2]]).update(priority=Priority.URGENT)
    return created


def test_every_count_is_read_in_one_query(tickets, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = capped_counts([Ticket.objects.all(), Ticket.objects.filter(priority=Priority.URGENT)])

    assert counts == [5, 2]


def test_each_count_stops_one_past_the_cap(tickets):
    assert capped_counts([Ticket.objects.all(), Ticket.objects.filter(priority=Priority.URGENT)], cap=3) == [4, 2]


def test_a_queryset_that_can_match_nothing_counts_zero(tickets):
    assert capped_counts([Ticket.objects.filter(pk__in=[]), Ticket.objects.all()]) == [0, 5]


def test_no_querysets_run_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert capped_counts([]) == []
