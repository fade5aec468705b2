from __future__ import annotations

from tickets.models import EventKind, Status
from tickets.services import comment_create, ticket_change_status


def test_ticket_create_records_created_event(ticket):
    assert ticket.status == Status.NEW
    assert ticket.team.name == "Support"
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_agent_reply_sets_first_response(ticket, bob):
    comment_create(ticket=ticket, author=bob, body="On it")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_requester_reply_reopens_resolved(ticket, alice, bob):
    ticket_change_status(ticket=ticket, actor=bob, status=Status.RESOLVED)
    comment_create(ticket=ticket, author=alice, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
