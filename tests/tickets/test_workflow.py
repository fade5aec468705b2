"""Every status transition, allowed and refused, through the one service that changes status."""

from __future__ import annotations

import itertools

import pytest

from helpdesk.errors import InvalidTransition, NotPermitted
from tickets.models import Status, Ticket, TicketEventKind
from tickets.services import ticket_change_status
from tickets.workflow import ALLOWED_TRANSITIONS

ALLOWED = {
    ("new", "open"), ("new", "pending"), ("new", "resolved"), ("new", "closed"),
    ("open", "pending"), ("open", "resolved"), ("open", "closed"),
    ("pending", "open"), ("pending", "resolved"), ("pending", "closed"),
    ("resolved", "open"), ("resolved", "closed"),
    ("closed", "open"),
}  # fmt: skip
ALL_PAIRS = [(a, b) for a, b in itertools.product(Status.values, repeat=2) if a != b]


def _put_in(ticket: Ticket, status: str) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


def test_the_table_is_exactly_the_documented_workflow():
    table = {(old, new) for old, targets in ALLOWED_TRANSITIONS.items() for new in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_agent_may_make_an_allowed_transition(ticket, bob, old, new):
    _put_in(ticket, old)
    ticket_change_status(ticket=ticket, actor=bob, status=new)
    ticket.refresh_from_db()
    assert ticket.status == new
    event = ticket.events.get(kind=TicketEventKind.STATUS)
    assert (event.old_value, event.new_value, event.actor) == (old, new, bob)


@pytest.mark.parametrize(("old", "new"), sorted(set(ALL_PAIRS) - ALLOWED))
def test_a_transition_outside_the_table_is_refused(ticket, bob, old, new):
    _put_in(ticket, old)
    with pytest.raises(InvalidTransition) as excinfo:
        ticket_change_status(ticket=ticket, actor=bob, status=new)
    assert excinfo.value.code == "invalid_transition"
    assert excinfo.value.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == old
    assert not ticket.events.filter(kind=TicketEventKind.STATUS).exists()


def test_requester_cannot_change_status(ticket, alice):
    with pytest.raises(NotPermitted):
        ticket_change_status(ticket=ticket, actor=alice, status=Status.CLOSED)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_resolving_and_closing_stamp_their_times_and_reopening_clears_them(ticket, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)
    ticket.refresh_from_db()
    assert ticket.resolved_at and ticket.closed_at
    ticket_change_status(ticket=ticket, actor=bob, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.resolved_at is None and ticket.closed_at is None
