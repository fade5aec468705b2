"""Bearer authentication: expired and revoked tokens get 401 with the error body; use is recorded, sparingly."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke

ME = "/api/v1/auth/me"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_an_expired_token_gets_401(alice):
    _, secret = api_token_issue(user=alice, name="old", expires_at=timezone.now() - timedelta(seconds=1))

    response = bearer(secret).get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "This token has expired.",
        "details": {},
    }


def test_a_token_works_until_it_expires(alice):
    _, secret = api_token_issue(user=alice, name="soon", expires_at=timezone.now() + timedelta(minutes=5))

    assert bearer(secret).get(ME).status_code == 200


def test_a_revoked_token_gets_401(alice):
    token, secret = api_token_issue(user=alice, name="gone")
    api_token_revoke(token=token)

    response = bearer(secret).get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["message"] == "This token has been revoked."


def test_a_revoked_token_cannot_write_either(alice, category):
    token, secret = api_token_issue(user=alice, name="gone")
    api_token_revoke(token=token)

    response = bearer(secret).post("/api/v1/tickets/", {"subject": "x", "description": "y"}, format="json")

    assert response.status_code == 401


def test_use_is_recorded(alice):
    token, secret = api_token_issue(user=alice, name="laptop")

    bearer(secret).get(ME)

    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_use_is_recorded_at_most_once_a_minute(alice):
    token, secret = api_token_issue(user=alice, name="laptop")
    recently = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recently)

    bearer(secret).get(ME)

    assert ApiToken.objects.get(pk=token.pk).last_used_at == recently


def test_use_after_a_minute_is_recorded_again(alice):
    token, secret = api_token_issue(user=alice, name="laptop")
    a_while_ago = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_while_ago)

    bearer(secret).get(ME)

    assert ApiToken.objects.get(pk=token.pk).last_used_at > a_while_ago
