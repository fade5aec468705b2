"""POST /api/v1/auth/token and bearer authentication."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import AccountDeactivated, api_token_issue, user_update
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token"


def test_valid_credentials_return_a_token_that_authenticates(api_client_for, alice):
    client = api_client_for(None)
    response = client.post(URL, {"email": "Alice@Example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("hd_")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/auth/me").json()["email"] == "alice@example.com"


def test_the_issued_token_is_described_with_its_secret_shown_once(api_client_for, alice):
    response = api_client_for(None).post(URL, {"email": alice.email, "password": PASSWORD}, format="json")

    body = response.json()
    stored = ApiToken.objects.get(user=alice)
    assert body == {
        "id": stored.pk,
        "name": "API token",
        "token": body["token"],
        "prefix": body["token"][:10],
        "scopes": ["read", "write"],
        "created_at": body["created_at"],
        "expires_at": None,
    }
    assert stored.prefix == body["prefix"]


def test_a_revoked_token_in_the_header_does_not_stop_a_script_getting_a_new_one(api_client_for, alice):
    client = api_client_for(alice)
    ApiToken.objects.filter(user=alice).update(revoked_at=timezone.now())

    response = client.post(URL, {"email": alice.email, "password": PASSWORD}, format="json")

    assert response.status_code == 201


def test_only_a_digest_of_the_token_is_stored(api_client_for, alice):
    token = api_client_for(None).post(URL, {"email": alice.email, "password": PASSWORD}, format="json").json()["token"]
    stored = ApiToken.objects.get(user=alice)
    assert token not in (stored.digest, stored.prefix) and len(stored.digest) == 64


def test_wrong_password_is_401(api_client_for, alice):
    response = api_client_for(None).post(URL, {"email": alice.email, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(api_client_for, alice):
    wrong = api_client_for(None).post(URL, {"email": alice.email, "password": "nope"}, format="json").json()
    unknown = api_client_for(None).post(URL, {"email": "ghost@example.com", "password": "nope"}, format="json").json()
    assert wrong == unknown


def test_inactive_user_gets_no_token(api_client_for, alice):
    alice.is_active = False
    alice.save()
    assert (
        api_client_for(None).post(URL, {"email": alice.email, "password": PASSWORD}, format="json").status_code == 401
    )


def test_an_account_deactivated_after_it_was_authenticated_gets_no_token(alice, carol):
    """The request read the account while it was active; the issue reads it again, as it is now."""
    signed_in = User.objects.get(pk=alice.pk)
    user_update(user=alice, actor=carol, is_active=False)

    with pytest.raises(AccountDeactivated):
        api_token_issue(user=signed_in, name="laptop")

    assert not ApiToken.objects.filter(user=alice).exists()


def test_missing_fields_are_field_errors(api_client_for):
    response = api_client_for(None).post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"email", "password"}


def test_a_bad_bearer_token_is_401(api_client_for):
    client = api_client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer hd_not-a-real-token")
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_deactivated_users_token_stops_working(api_client_for, alice):
    client = api_client_for(alice)
    alice.is_active = False
    alice.save()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_token_requests_are_rate_limited_with_429(api_client_for, alice, settings):
    settings.RATE_LIMIT_CREDENTIALS = "3/m"
    client = api_client_for(None)
    codes = [client.post(URL, {"email": alice.email, "password": "x"}, format="json").status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    response = client.post(URL, {"email": alice.email, "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_me_describes_the_current_user(api_client_for, bob):
    body = api_client_for(bob).get("/api/v1/auth/me").json()
    assert body == {
        "id": bob.pk,
        "email": "bob@example.com",
        "name": "Bob Agent",
        "role": "agent",
        "is_active": True,
        "date_joined": body["date_joined"],
        "time_zone": "",
    }


def test_session_authenticated_browser_needs_csrf_for_writes(alice):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/v1/auth/me").status_code == 200
    response = client.post("/api/v1/tickets/", {"subject": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
