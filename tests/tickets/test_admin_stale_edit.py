"""An admin change form opened before someone else saved is refused, not applied over their change."""

from __future__ import annotations

from tests.support.browser_forms import choose, form_controls, submitted
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


def test_a_stale_admin_save_shows_the_ticket_as_it_is_now_not_the_values_read_before(client_for, carol, bob, ticket):
    """Every value of a page read before another change is as it was read: shown again, a second save would write
    them over that change. The refusal shows the ticket afresh instead, the newer change in it."""
    client = client_for(carol)
    stale = form_controls(client.get(change_url(ticket)).content.decode(), action="")
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.URGENT))

    sent = {**submitted(choose(stale, "status", Status.OPEN)), "subject": "Printer on fire"}
    response = client.post(change_url(ticket), sent, follow=True)

    assert "changed since you read it" in response.content.decode()
    shown = {control.name: control.value for control in form_controls(response.content.decode(), action="")}
    assert shown["subject"] == ticket.subject != "Printer on fire"

    response = client.post(change_url(ticket), submitted(form_controls(response.content.decode(), action="")))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.URGENT)
