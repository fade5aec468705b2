"""A merged ticket is closed for good: its conversation moved to the ticket it was merged into, so reopening it from
the staff page or a bulk action would put an empty shell back in the open queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from helpdesk.errors import TicketMerged
from tests.support.browser_forms import choose, form_controls, submitted
from tickets.models import Comment, Status
from tickets.services import comment_create, ticket_create, ticket_merge


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


def test_a_reply_from_a_stale_page_of_a_merged_ticket_is_refused_and_kept(
    alice, bob, carol, ticket, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(bob)
    stale = client.get(reverse("staff_ticket_detail", args=[ticket.pk]))
    action = reverse("staff_ticket_reply", args=[ticket.pk])
    controls = form_controls(stale.content.decode(), action)
    target = ticket_create(requester=alice, subject="Invoice", description="The newer one.")
    ticket_merge(source=ticket, target=target, actor=carol)  # her notice on it is not held as news: it is refused
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action, {**submitted(controls), "body": "We refunded the invoice.", "mode": "reply"})

    body = response.content.decode()
    assert response.status_code == 200
    assert f"Nothing was sent. #{ticket.pk} was merged into #{target.pk}" in body
    assert f'href="{reverse("staff_ticket_detail", args=[target.pk])}"' in body
    assert "We refunded the invoice.</textarea>" in body
    assert not Comment.objects.filter(body="We refunded the invoice.").exists()
    assert mailoutbox == []


def test_a_note_on_a_merged_ticket_is_refused_by_the_service(alice, bob, ticket):
    merged = merged_pair(alice, bob, ticket)

    with pytest.raises(TicketMerged) as refused:
        comment_create(ticket=merged, author=bob, body="Called the bank.", internal=True)

    assert f"merged into #{ticket.pk}" in refused.value.message
    assert not Comment.objects.filter(body="Called the bank.").exists()
