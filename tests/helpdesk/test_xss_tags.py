"""Tags are slugs: a hostile tag is refused at every front door, and the page that refuses it stays inert."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support.html import shows_as_text
from tests.support.xss import PAYLOADS, unexpected_active_content
from tickets.etags import ticket_etag
from tickets.models import Tag


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_staff_page_refuses_a_hostile_tag_and_shows_it_as_text(client_for, bob, ticket, payload):
    form = {
        "status": ticket.status,
        "priority": ticket.priority,
        "team": ticket.team_id,
        "tags": payload,
        "version": ticket_etag(ticket),
    }

    response = client_for(bob).post(reverse("staff_ticket_update", args=[ticket.pk]), form)

    assert response.status_code == 200
    assert "is not a valid tag" in response.content.decode()
    assert not Tag.objects.exists()
    html = response.content.decode()
    assert unexpected_active_content(html, admin=False) == []
    assert shows_as_text(html, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_api_refuses_a_hostile_tag(api_client_for, bob, ticket, payload):
    response = api_client_for(bob).patch(f"/api/v1/tickets/{ticket.pk}/", {"tags": [payload]}, format="json")

    assert response.status_code == 400
    assert not Tag.objects.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_admin_refuses_a_hostile_tag_and_shows_it_as_text(client_for, carol, payload):
    response = client_for(carol).post(reverse("admin:tickets_tag_add"), {"name": payload})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert not Tag.objects.exists()
    html = response.content.decode()
    assert unexpected_active_content(html, admin=True) == []
    assert shows_as_text(html, payload)
