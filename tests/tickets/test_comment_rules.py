"""Replies and notes: who may write what, first response, reopen on reply, closed tickets."""

from __future__ import annotations

import pytest

from helpdesk.errors import NotPermitted, TicketClosed
from tickets.models import Status, TicketEvent
from tickets.services import comment_create, ticket_change_status


def test_agent_public_reply_sets_first_response_once(ticket, bob):
    comment_create(ticket=ticket, author=bob, body="Looking into it")
    ticket.refresh_from_db()
    first = ticket.first_response_at
    assert first is not None
    comment_create(ticket=ticket, author=bob, body="Found it")
    ticket.refresh_from_db()
    assert ticket.first_response_at == first


def test_internal_note_is_not_a_first_response(ticket, bob):
    comment_create(ticket=ticket, author=bob, body="Checking with billing", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_requester_reply_is_not_a_first_response(ticket, alice):
    comment_create(ticket=ticket, author=alice, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


@pytest.mark.parametrize("status", [Status.PENDING, Status.RESOLVED])
def test_requester_reply_reopens_pending_and_resolved_tickets(ticket, alice, bob, status):
    ticket_change_status(ticket=ticket, actor=bob, status=status)
    comment_create(ticket=ticket, author=alice, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    event = ticket.events.filter(field="status").last()
    assert (event.old_value, event.new_value, event.actor) == (status, Status.OPEN, alice)


def test_agent_reply_does_not_reopen(ticket, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.PENDING)
    comment_create(ticket=ticket, author=bob, body="Waiting on you")
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_requester_cannot_write_an_internal_note(ticket, alice):
    with pytest.raises(NotPermitted):
        comment_create(ticket=ticket, author=alice, body="psst", internal=True)
    assert not ticket.comments.exists()


def test_requester_cannot_reply_to_a_closed_ticket(ticket, alice, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.CLOSED)
    with pytest.raises(TicketClosed):
        comment_create(ticket=ticket, author=alice, body="Hello?")
    assert not ticket.comments.exists()


def test_internal_note_event_is_internal(ticket, bob):
    comment_create(ticket=ticket, author=bob, body="note", internal=True)
    event = TicketEvent.objects.get(ticket=ticket, kind="comment")
    assert event.internal is True
