"""The "Mark resolved" bulk action moves tickets through the workflow and says what it refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.models import Status, TicketEventKind
from tickets.services import ticket_change_status, ticket_create

pytestmark = pytest.mark.django_db


def test_mark_resolved_resolves_open_tickets_and_refuses_closed_ones(client_for, carol, bob, alice, category):
    new = ticket_create(requester=alice, subject="New one", category=category)
    pending = ticket_create(requester=alice, subject="Pending one", category=category)
    ticket_change_status(ticket=pending, actor=bob, status=Status.PENDING)
    closed = ticket_create(requester=alice, subject="Closed one", category=category)
    ticket_change_status(ticket=closed, actor=bob, status=Status.CLOSED)

    response = client_for(carol).post(
        reverse("admin:tickets_ticket_changelist"),
        {"action": "mark_resolved", "_selected_action": [new.pk, pending.pk, closed.pk]},
        follow=True,
    )

    body = response.content.decode()
    assert "2 tickets marked resolved." in body
    assert "1 ticket refused" in body
    for ticket in (new, pending, closed):
        ticket.refresh_from_db()
    assert [new.status, pending.status, closed.status] == [Status.RESOLVED, Status.RESOLVED, Status.CLOSED]
    resolved_by = new.events.filter(kind=TicketEventKind.STATUS, new_value=Status.RESOLVED).values_list(
        "actor", flat=True
    )
    assert list(resolved_by) == [carol.pk]


def test_agent_can_mark_tickets_resolved(client_for, bob, ticket):
    client_for(bob).post(
        reverse("admin:tickets_ticket_changelist"), {"action": "mark_resolved", "_selected_action": [ticket.pk]}
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
