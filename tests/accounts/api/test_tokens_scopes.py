"""A read-only token reads but changes nothing: every unsafe method is refused with 403 `insufficient_scope`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_issue
from tickets.models import Ticket


def read_only_client(user) -> APIClient:
    _, secret = api_token_issue(user=user, name="read only", scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def assert_insufficient_scope(response) -> None:
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "insufficient_scope"
    assert "read-only" in error["message"]
    assert error["details"] == {}


def test_a_read_only_token_reads(alice, ticket):
    client = read_only_client(alice)

    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200


def test_a_read_only_token_cannot_open_a_ticket(alice, category):
    response = read_only_client(alice).post("/api/v1/tickets/", {"subject": "Help", "description": "x"}, format="json")

    assert_insufficient_scope(response)
    assert not Ticket.objects.exists()


def test_a_read_only_token_cannot_triage_a_ticket(bob, ticket):
    response = read_only_client(bob).patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "urgent"}, format="json")

    assert_insufficient_scope(response)
    ticket.refresh_from_db()
    assert ticket.get_priority_display().lower() != "urgent"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_read_only_token_is_refused_any_other_unsafe_method(alice, ticket, method):
    response = getattr(read_only_client(alice), method)(f"/api/v1/tickets/{ticket.pk}/", {}, format="json")

    assert_insufficient_scope(response)


def test_a_read_only_token_cannot_revoke_a_token(alice):
    client = read_only_client(alice)
    token = ApiToken.objects.get(user=alice)

    assert_insufficient_scope(client.delete(f"/api/v1/auth/tokens/{token.pk}/"))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_read_and_write_token_may_write(api_client_for, alice, category):
    response = api_client_for(alice).post(
        "/api/v1/tickets/", {"subject": "Help", "description": "x", "category": category.pk}, format="json"
    )

    assert response.status_code == 201


def test_a_signed_in_browser_is_not_held_to_token_scopes(alice, category):
    client = APIClient()
    client.force_login(alice)

    response = client.post(
        "/api/v1/tickets/", {"subject": "Help", "description": "x", "category": category.pk}, format="json"
    )

    assert response.status_code == 201
