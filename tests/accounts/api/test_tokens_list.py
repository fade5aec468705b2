"""GET /api/v1/auth/tokens/: the caller's own tokens that still work, never a secret."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke

URL = "/api/v1/auth/tokens/"


def test_lists_the_callers_own_tokens_newest_first(api_client_for, alice, mallory):
    client = api_client_for(alice)  # the client's own token, named "tests"
    laptop, _ = api_token_issue(user=alice, name="laptop", scopes=["read"])
    api_token_issue(user=mallory, name="mallory's")

    response = client.get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [token["name"] for token in results] == ["laptop", "tests"]
    assert results[0] == {
        "id": laptop.pk,
        "name": "laptop",
        "prefix": laptop.prefix,
        "scopes": ["read"],
        "created_at": results[0]["created_at"],
        "expires_at": None,
        "last_used_at": None,
    }


def test_revoked_and_expired_tokens_are_left_out(api_client_for, alice):
    client = api_client_for(alice)
    revoked, _ = api_token_issue(user=alice, name="revoked")
    api_token_revoke(token=revoked)
    api_token_issue(user=alice, name="expired", expires_at=timezone.now() - timedelta(seconds=1))
    api_token_issue(user=alice, name="later", expires_at=timezone.now() + timedelta(days=1))

    names = [token["name"] for token in client.get(URL).json()["results"]]

    assert names == ["later", "tests"]


def test_the_list_never_carries_a_secret_or_a_digest(api_client_for, alice):
    _, secret = api_token_issue(user=alice, name="laptop")
    client = api_client_for(alice)

    response = client.get(URL)

    body = response.content.decode()
    assert secret not in body
    for token in ApiToken.objects.filter(user=alice):
        assert token.digest not in body
    assert all("token" not in item and "digest" not in item for item in response.json()["results"])


def test_the_list_is_cursor_paginated(api_client_for, alice):
    client = api_client_for(alice)
    for number in range(3):
        api_token_issue(user=alice, name=f"token {number}")

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2 and first["previous"] is None
    assert len(second["results"]) == 2 and second["next"] is None


def test_unknown_query_parameters_are_refused(api_client_for, alice):
    response = api_client_for(alice).get(URL, {"user": "2"})

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"user"}


def test_the_list_takes_a_bounded_number_of_queries(api_client_for, alice, django_assert_max_num_queries):
    client = api_client_for(alice)
    for number in range(10):
        api_token_issue(user=alice, name=f"token {number}")

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == 11


def test_anonymous_callers_get_401(api_client_for, alice):
    api_token_issue(user=alice, name="laptop")

    response = api_client_for(None).get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
