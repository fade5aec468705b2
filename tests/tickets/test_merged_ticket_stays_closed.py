"""A merged ticket is closed for good: its conversation moved to the ticket it was merged into, so reopening it from
the staff page or a bulk action would put an empty shell back in the open queue."""

from __future__ import annotations

from django.urls import reverse

from tests.support.browser_forms import choose, form_controls, submitted
from tickets.models import Status
from tickets.services import ticket_create, ticket_merge


def merged_pair(alice, bob, ticket):
    other = ticket_create(requester=alice, subject="Invoice still wrong", description="Again.")
    ticket_merge(source=other, target=ticket, actor=bob)
    other.refresh_from_db()
    return other


def test_the_triage_form_does_not_reopen_a_merged_ticket(alice, bob, ticket, client_for):
    merged = merged_pair(alice, bob, ticket)
    client = client_for(bob)
    action = reverse("staff_ticket_update", args=[merged.pk])
    controls = form_controls(client.get(reverse("staff_ticket_detail", args=[merged.pk])).content.decode(), action)

    response = client.post(action, submitted(choose(controls, "status", Status.OPEN)), follow=True)

    assert f"merged into #{ticket.pk}" in response.content.decode()
    merged.refresh_from_db()
    assert merged.status == Status.CLOSED


def test_a_bulk_reopen_leaves_a_merged_ticket_closed(alice, bob, ticket, client_for):
    merged = merged_pair(alice, bob, ticket)

    response = client_for(bob).post(reverse("queue_bulk"), {"ticket": [str(merged.pk)], "status": Status.OPEN})

    merged.refresh_from_db()
    assert merged.status == Status.CLOSED
    assert "could not move to open" in response.content.decode()
