"""API tokens in the admin: admins see everyone's, with their status, and revoke them; nobody adds or edits one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_apitoken_changelist")


@pytest.fixture
def tokens(alice, bob):
    active, _ = api_token_issue(user=alice, name="alice laptop", scopes=["read"])
    expired, _ = api_token_issue(user=bob, name="bob old", expires_at=timezone.now() - timedelta(days=1))
    revoked, _ = api_token_issue(user=bob, name="bob gone")
    api_token_revoke(token=revoked)
    return {"active": active, "expired": expired, "revoked": revoked}


def changelist_rows(response) -> dict[str, str]:
    """Token name -> its status, as the admin's list shows them."""
    changelist = response.context["cl"]
    return {token.name: changelist.model_admin.status(token) for token in changelist.result_list}


def test_admin_sees_everyones_tokens_with_their_status(client_for, carol, tokens):
    response = client_for(carol).get(CHANGELIST)

    assert response.status_code == 200
    assert changelist_rows(response) == {"alice laptop": "active", "bob old": "expired", "bob gone": "revoked"}
    body = response.content.decode()
    assert "Alice Requester" in body and "Bob Agent" in body
    assert tokens["active"].prefix in body


@pytest.mark.parametrize("status", ["active", "expired", "revoked"])
def test_admin_filters_tokens_by_status(client_for, carol, tokens, status):
    response = client_for(carol).get(CHANGELIST, {"status": status})

    assert list(changelist_rows(response).values()) == [status]


def test_the_admin_list_never_shows_a_digest(client_for, carol, tokens):
    body = client_for(carol).get(CHANGELIST).content.decode()

    assert all(token.digest not in body for token in ApiToken.objects.all())


def test_admin_revokes_selected_tokens(client_for, carol, tokens, alice):
    other, _ = api_token_issue(user=alice, name="alice desktop")
    selected = [tokens["active"].pk, tokens["revoked"].pk]
    revoked_before = ApiToken.objects.get(pk=tokens["revoked"].pk).revoked_at

    response = client_for(carol).post(
        CHANGELIST, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: selected}, follow=True
    )

    assert response.status_code == 200
    assert "Revoked 1 token." in response.content.decode()
    assert ApiToken.objects.get(pk=tokens["active"].pk).revoked_at is not None
    assert ApiToken.objects.get(pk=tokens["revoked"].pk).revoked_at == revoked_before
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    assert ApiToken.objects.count() == 4  # revoked, not deleted


def test_a_token_revoked_in_the_admin_stops_working(client_for, carol, alice, api_client_for):
    client = api_client_for(alice)
    token = ApiToken.objects.get(user=alice)

    client_for(carol).post(CHANGELIST, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [token.pk]})

    assert client.get("/api/v1/auth/me").status_code == 401


def test_there_is_no_bulk_delete(client_for, carol, tokens):
    response = client_for(carol).get(CHANGELIST)

    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "revoke_selected" in actions
    assert "delete_selected" not in actions


def test_tokens_cannot_be_added_or_edited(client_for, carol, tokens):
    client = client_for(carol)
    token = tokens["active"]

    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    response = client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]), {"name": "renamed", "scopes": "read write"}
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert (token.name, token.scopes) == ("alice laptop", "read")


def test_a_user_with_tokens_can_still_be_deleted(client_for, carol, alice, tokens):
    response = client_for(carol).post(reverse("admin:accounts_user_delete", args=[alice.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(user_id=alice.pk).exists()


def test_an_agent_cannot_reach_the_tokens_page(client_for, bob, tokens):
    assert client_for(bob).get(CHANGELIST).status_code == 403


def test_an_agent_cannot_revoke_tokens_through_the_admin(client_for, bob, tokens):
    token = tokens["active"]

    client_for(bob).post(CHANGELIST, {"action": "revoke_selected", ACTION_CHECKBOX_NAME: [token.pk]})

    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_requester_is_sent_to_sign_in(client_for, alice, tokens):
    response = client_for(alice).get(CHANGELIST)

    assert response.status_code == 302
    assert "login" in response["Location"]
