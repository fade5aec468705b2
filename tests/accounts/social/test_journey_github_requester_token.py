"""The issue's "done" journey, first half: a new user signs up with GitHub, lands as a requester, opens a ticket,
creates a read-only token and uses it against the API: reads work, writes are refused."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role, User
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.html import elements
from tickets.models import Ticket


def shown_secret(response) -> str:
    """The new token's secret, shown once in the read-only field of the API tokens page."""
    return next(
        attrs["value"] for tag, attrs in elements(response.content.decode()) if attrs.get("id") == "new-token-secret"
    )


def test_github_newcomer_opens_a_ticket_and_reads_it_with_a_read_only_token(github_app, fake_github, category):
    browser = Client()

    sign_in_with(browser, "github")
    newcomer = User.objects.get(email="mona@example.com")
    assert signed_in_user(browser) == newcomer
    assert newcomer.role == Role.REQUESTER

    opened = browser.post(
        reverse("ticket_new"), {"category": category.pk, "subject": "Printer on fire", "description": "Again."}
    )
    ticket = Ticket.objects.get(requester=newcomer)
    assert opened.status_code == 302 and ticket.subject == "Printer on fire"

    created = browser.post(reverse("api_tokens"), {"name": "read-only script", "expires": "30"})  # no "write" box
    assert created.status_code == 201
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {shown_secret(created)}")

    listed = api.get("/api/v1/tickets/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [ticket.pk]
    assert api.get(f"/api/v1/tickets/{ticket.pk}/").json()["subject"] == "Printer on fire"

    reply = api.post(f"/api/v1/tickets/{ticket.pk}/comments/", {"body": "Still burning"}, format="json")
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "insufficient_scope"
    new_ticket = api.post("/api/v1/tickets/", {"subject": "x", "description": "y"}, format="json")
    assert new_ticket.status_code == 403
    assert Ticket.objects.count() == 1
