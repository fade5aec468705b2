"""An agent's first public reply on a new ticket moves it to open, in the service, so pages and the API agree."""

from __future__ import annotations

from django.urls import reverse

from tickets.models import Status, TicketEvent, TicketEventKind
from tickets.services import comment_create


def test_agents_first_public_reply_moves_a_new_ticket_to_open(bob, ticket):
    comment_create(ticket=ticket, author=bob, body="Looking into it")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.STATUS)
    assert (event.old_value, event.new_value, event.actor) == ("new", "open", bob)


def test_an_internal_note_leaves_a_new_ticket_new(bob, ticket):
    comment_create(ticket=ticket, author=bob, body="Hmm", internal=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_the_requesters_own_reply_leaves_a_new_ticket_new(alice, ticket):
    comment_create(ticket=ticket, author=alice, body="More details")

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_chosen_status_wins_over_open(bob, ticket):
    comment_create(ticket=ticket, author=bob, body="Fixed", status=Status.RESOLVED)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert not TicketEvent.objects.filter(kind=TicketEventKind.STATUS, new_value="open").exists()


def test_a_reply_on_a_pending_ticket_keeps_it_pending(bob, ticket):
    comment_create(ticket=ticket, author=bob, body="Waiting for you", status=Status.PENDING)
    comment_create(ticket=ticket, author=bob, body="Reminder")

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_the_page_and_the_api_agree(bob, ticket, alice, category, client_for, api_client_for):
    from tickets.services import ticket_create

    other = ticket_create(requester=alice, subject="Second", description="x", category=category)
    client_for(bob).post(reverse("staff_ticket_reply", args=[ticket.pk]), {"body": "On it", "mode": "reply"})
    response = api_client_for(bob).post(f"/api/v1/tickets/{other.pk}/comments/", {"body": "On it"}, format="json")

    assert response.status_code == 201
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert ticket.status == other.status == Status.OPEN


def test_api_send_and_set_status(bob, ticket, api_client_for):
    response = api_client_for(bob).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Over to you", "status": "pending"}, format="json"
    )

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_api_refuses_a_requester_setting_the_status_and_sends_nothing(alice, ticket, api_client_for):
    response = api_client_for(alice).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Close it", "status": "closed"}, format="json"
    )

    assert response.status_code == 403
    assert not ticket.comments.exists()


def test_api_refused_transition_sends_nothing(bob, ticket, api_client_for):
    ticket.status = Status.CLOSED
    ticket.save()

    response = api_client_for(bob).post(
        f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "x", "status": "pending"}, format="json"
    )

    assert response.status_code == 409
    assert not ticket.comments.exists()
