"""A saved view without a status (one saved through the API) shows the open tickets on the queue page, as every page
with no status chosen does: its count in the sidebar counts the same tickets, and the API lists the same ones."""

from __future__ import annotations

import re

from django.urls import reverse

from queues.services import saved_view_create
from tickets.models import Priority, Status, Ticket
from tickets.services import ticket_create


def test_the_sidebar_count_of_a_view_without_status_matches_its_page(alice, bob, client_for):
    ticket_create(requester=alice, subject="Server down", priority=Priority.URGENT, actor=bob)
    solved = ticket_create(requester=alice, subject="Old outage", priority=Priority.URGENT, actor=bob)
    Ticket.objects.filter(pk=solved.pk).update(status=Status.CLOSED)
    view = saved_view_create(owner=bob, name="Urgent", conditions={"priority": "urgent"})

    body = client_for(bob).get(reverse("staff_queue"), {"view": view.pk}).content.decode()

    assert "Server down" in body and "Old outage" not in body
    assert re.search(r'Urgent</span> <span class="queue-view-count">1</span>', body)


def test_the_api_lists_the_same_tickets_of_a_view_without_status_as_its_page(alice, bob, client_for, api_client_for):
    ticket_create(requester=alice, subject="Server down", priority=Priority.URGENT, actor=bob)
    solved = ticket_create(requester=alice, subject="Old outage", priority=Priority.URGENT, actor=bob)
    Ticket.objects.filter(pk=solved.pk).update(status=Status.CLOSED)
    view = saved_view_create(owner=bob, name="Urgent", conditions={"priority": "urgent"})
    api = api_client_for(bob)

    own_list = api.get(f"/api/v1/views/{view.pk}/tickets/").json()["results"]
    ticket_list = api.get("/api/v1/tickets/", {"view": view.pk}).json()["results"]

    page = client_for(bob).get(reverse("staff_queue"), {"view": view.pk}).content.decode()
    assert "Server down" in page and "Old outage" not in page
    assert [ticket["subject"] for ticket in own_list] == ["Server down"]
    assert [ticket["subject"] for ticket in ticket_list] == ["Server down"]
