"""DELETE /api/v1/auth/tokens/{id}/: revoking one of the caller's tokens."""

from __future__ import annotations

from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_issue


def url(token_id: int) -> str:
    return f"/api/v1/auth/tokens/{token_id}/"


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_revoked_token_stops_working_at_once(api_client_for, alice):
    token, secret = api_token_issue(user=alice, name="laptop")

    response = api_client_for(alice).delete(url(token.pk))

    assert response.status_code == 204
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    refused = bearer(secret).get("/api/v1/auth/me")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_a_token_can_revoke_itself(alice):
    token, secret = api_token_issue(user=alice, name="leaked")
    client = bearer(secret)

    assert client.delete(url(token.pk)).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_the_row_is_kept_for_the_admin_to_see(api_client_for, alice):
    token, _ = api_token_issue(user=alice, name="laptop")

    api_client_for(alice).delete(url(token.pk))

    assert ApiToken.objects.filter(pk=token.pk, name="laptop").exists()


def test_mallory_cannot_revoke_alices_token(api_client_for, alice, mallory):
    token, secret = api_token_issue(user=alice, name="laptop")

    response = api_client_for(mallory).delete(url(token.pk))

    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert bearer(secret).get("/api/v1/auth/me").status_code == 200


def test_revoking_twice_is_a_404_the_second_time(api_client_for, alice):
    token, _ = api_token_issue(user=alice, name="laptop")
    client = api_client_for(alice)

    assert client.delete(url(token.pk)).status_code == 204
    assert client.delete(url(token.pk)).status_code == 404


def test_the_collection_cannot_be_deleted_at_once(api_client_for, alice):
    api_token_issue(user=alice, name="laptop")

    response = api_client_for(alice).delete("/api/v1/auth/tokens/")

    assert response.status_code == 405
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 0
