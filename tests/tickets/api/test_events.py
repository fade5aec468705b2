"""GET /api/v1/tickets/{id}/events/: the audit trail, filtered for requesters."""

from __future__ import annotations

from tickets.services import TicketChanges, comment_create, ticket_update


def kinds(response) -> list[str]:
    assert response.status_code == 200
    return [row["kind"] for row in response.json()["results"]]


def test_agent_sees_every_event_in_order(api_client_for, bob, ticket):
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(status="open", assignee=bob))
    comment_create(ticket=ticket, author=bob, body="note", internal=True)
    response = api_client_for(bob).get(f"/api/v1/tickets/{ticket.pk}/events/")
    assert kinds(response) == ["created", "status", "assignee", "comment"]
    status = response.json()["results"][1]
    assert (status["old_value"], status["new_value"], status["actor"]) == ("new", "open", bob.pk)


def test_requester_sees_only_public_events(api_client_for, alice, bob, ticket):
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(status="open", assignee=bob, priority=30))
    comment_create(ticket=ticket, author=bob, body="note", internal=True)
    comment_create(ticket=ticket, author=bob, body="reply")
    assert kinds(api_client_for(alice).get(f"/api/v1/tickets/{ticket.pk}/events/")) == ["created", "status", "comment"]


def test_mallory_gets_404(api_client_for, mallory, ticket):
    assert api_client_for(mallory).get(f"/api/v1/tickets/{ticket.pk}/events/").status_code == 404
