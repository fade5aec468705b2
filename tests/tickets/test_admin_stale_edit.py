"""An admin change form opened before someone else saved is refused, not applied over their change."""

from __future__ import annotations

import html as html_module
import re

from django.urls import reverse

from tickets.models import Priority, Status, TicketEvent
from tickets.services import TicketChanges, ticket_update


def change_form_data(client, ticket) -> dict[str, object]:
    """What the admin change page would post back unchanged, read from the rendered page."""
    html = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    data: dict[str, object] = {}
    for name, value in re.findall(r'<input type="(?:hidden|text)" name="([^"]+)" value="([^"]*)"', html):
        data[name] = html_module.unescape(value)
    for name in re.findall(r'<select name="([^"]+)"', html):
        match = re.search(rf'<select name="{re.escape(name)}".*?<option value="([^"]*)" selected', html, re.S)
        data[name] = match.group(1) if match else ""
    data["description"] = ticket.description
    data["tags"] = [tag.pk for tag in ticket.tags.all()]
    return data


def test_a_stale_admin_save_is_refused_and_the_newer_change_survives(client_for, carol, bob, ticket):
    client = client_for(carol)
    stale = change_form_data(client, ticket)
    assert stale["version"]
    ticket_update(ticket=ticket, actor=bob, changes=TicketChanges(priority=Priority.URGENT))

    stale["status"] = Status.OPEN
    response = client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]), stale, follow=True)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.URGENT)
    assert "changed since you read it" in response.content.decode()
    assert not TicketEvent.objects.filter(actor=carol).exists()


def test_a_fresh_admin_save_goes_through(client_for, carol, ticket):
    client = client_for(carol)
    data = change_form_data(client, ticket)
    data["status"] = Status.OPEN
    client.post(reverse("admin:tickets_ticket_change", args=[ticket.pk]), data)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
