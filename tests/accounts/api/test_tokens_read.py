"""GET /api/v1/auth/tokens/{id}/: one of the caller's tokens; anyone else's is a 404."""

from __future__ import annotations

from accounts.services import api_token_issue, api_token_revoke


def url(token_id: int) -> str:
    return f"/api/v1/auth/tokens/{token_id}/"


def test_reads_one_of_the_callers_tokens(api_client_for, alice):
    token, secret = api_token_issue(user=alice, name="laptop")

    response = api_client_for(alice).get(url(token.pk))

    assert response.status_code == 200
    assert response.json()["name"] == "laptop"
    assert secret not in response.content.decode()


def test_mallory_gets_404_for_alices_token(api_client_for, alice, mallory):
    token, _ = api_token_issue(user=alice, name="laptop")

    response = api_client_for(mallory).get(url(token.pk))

    assert response.status_code == 404
    assert response.json() == api_client_for(mallory).get(url(987654321)).json()


def test_an_admin_gets_404_for_someone_elses_token_too(api_client_for, alice, carol):
    token, _ = api_token_issue(user=alice, name="laptop")

    assert api_client_for(carol).get(url(token.pk)).status_code == 404


def test_a_revoked_token_is_no_longer_found(api_client_for, alice):
    token, _ = api_token_issue(user=alice, name="laptop")
    api_token_revoke(token=token)

    assert api_client_for(alice).get(url(token.pk)).status_code == 404
