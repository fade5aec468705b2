"""The audit trail is read-only in the admin, even for admins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def test_admin_cannot_change_a_ticket_event(client_for, carol, ticket):
    event = TicketEvent.objects.get(ticket=ticket)
    url = reverse("admin:tickets_ticketevent_change", args=[event.pk])

    response = client_for(carol).post(url, {"kind": "status", "new_value": "forged"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.new_value == "Invoice is wrong"


def test_admin_cannot_delete_a_ticket_event(client_for, carol, ticket):
    event = TicketEvent.objects.get(ticket=ticket)
    url = reverse("admin:tickets_ticketevent_delete", args=[event.pk])

    assert client_for(carol).post(url, {"post": "yes"}).status_code == 403
    assert TicketEvent.objects.filter(pk=event.pk).exists()


def test_agent_can_list_the_audit_trail_filtered_by_kind(client_for, bob, ticket):
    response = client_for(bob).get(reverse("admin:tickets_ticketevent_changelist") + "?kind__exact=created")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [TicketEvent.objects.get(ticket=ticket)]


def test_tickets_cannot_be_deleted_in_the_admin(client_for, carol, ticket):
    url = reverse("admin:tickets_ticket_delete", args=[ticket.pk])

    assert client_for(carol).post(url, {"post": "yes"}).status_code == 403
    assert TicketEvent.objects.filter(ticket=ticket).exists()
