"""An admin change form opened before someone else saved is refused, not applied over their change."""

from __future__ import annotations

from tests.tickets.admin_forms import change_url, form_data
from tickets.models import Priority, Status, TicketEvent
from tickets.services import TicketChanges, ticket_update


def test_a_stale_admin_save_is_refused_and_the_newer_change_survives(client_for, carol, bob, ticket):
    client = client_for(carol)
    stale = form_data(client.get(change_url(ticket)))
    assert stale["version"]
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.URGENT))

    stale["status"] = Status.OPEN
    response = client.post(change_url(ticket), stale, follow=True)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.URGENT)
    assert "changed since you read it" in response.content.decode()
    assert not TicketEvent.objects.filter(actor=carol).exists()


def test_a_fresh_admin_save_goes_through(client_for, carol, ticket):
    client = client_for(carol)
    data = form_data(client.get(change_url(ticket)))
    data["status"] = Status.OPEN
    client.post(change_url(ticket), data)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
