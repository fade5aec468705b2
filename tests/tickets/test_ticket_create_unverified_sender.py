"""Whoever files a ticket without signing in (a public form's guest today, an email sender later) goes through
`ticket_create(sender_verified=False)`: the mark is data on the ticket, shown to staff and in the API."""

from __future__ import annotations

from tickets.services import ticket_create


def test_the_service_records_an_unverified_sender(alice, category):
    ticket = ticket_create(requester=alice, subject="From a stranger", category=category, sender_verified=False)

    ticket.refresh_from_db()
    assert ticket.sender_verified is False


def test_tickets_are_verified_by_default(ticket):
    assert ticket.sender_verified is True


def test_staff_read_the_mark_in_the_api(api_client_for, bob, alice, category):
    unverified = ticket_create(requester=alice, subject="From a stranger", category=category, sender_verified=False)

    body = api_client_for(bob).get(f"/api/v1/tickets/{unverified.pk}/").json()

    assert body["sender_verified"] is False
