"""The admin's ticket form, like the staff page's, writes back nothing the editor did not change, even from a page
the browser restored from an older visit (old select values, fresh version token)."""

from __future__ import annotations

from django.urls import reverse

from tests.support.browser_forms import choose, form_controls, revisited, submitted
from tickets.models import Priority, Status


def change_page(client, ticket) -> str:
    return client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()


def test_a_status_change_from_a_restored_admin_page_keeps_the_newer_priority(client_for, carol, ticket):
    client = client_for(carol)
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    first_visit = form_controls(change_page(client, ticket), action="")
    assert client.post(url, submitted(choose(first_visit, "priority", str(Priority.HIGH)))).status_code == 302

    restored = revisited(first_visit, form_controls(change_page(client, ticket), action=""))
    response = client.post(url, submitted(choose(restored, "status", Status.OPEN)))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.OPEN, Priority.HIGH)
