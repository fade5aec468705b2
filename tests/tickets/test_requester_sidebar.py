"""The staff ticket page's requester sidebar: contact details and their other tickets, open ones first."""

from __future__ import annotations

import re

from django.urls import reverse

from tickets.models import Status
from tickets.services import ticket_change_status, ticket_create


def sidebar(client, ticket) -> str:
    body = client.get(reverse("staff_ticket_detail", args=[ticket.pk])).content.decode()
    return re.search(r'<section class="card requester-card".*?</section>', body, re.S).group(0)


def test_sidebar_shows_contact_details(bob, ticket, client_for):
    card = sidebar(client_for(bob), ticket)

    assert "Alice Requester" in card
    assert "mailto:alice@example.com" in card


def test_sidebar_lists_other_tickets_open_first_and_not_others_tickets(
    alice, mallory, bob, ticket, category, client_for
):
    solved = ticket_create(requester=alice, subject="Old solved one", category=category)
    ticket_change_status(ticket=solved, actor=bob, status=Status.RESOLVED)
    still_open = ticket_create(requester=alice, subject="Still open one", category=category)
    ticket_create(requester=mallory, subject="Mallory's own", category=category)

    card = sidebar(client_for(bob), ticket)

    assert card.index("Still open one") < card.index("Old solved one")
    assert f"#{ticket.pk} Invoice is wrong" not in card
    assert "Mallory" not in card
    assert f"/staff/tickets/{still_open.pk}/" in card


def test_sidebar_links_to_opening_a_ticket_for_the_requester(bob, ticket, client_for):
    assert "/staff/tickets/new/?requester=alice%40example.com" in sidebar(client_for(bob), ticket)
