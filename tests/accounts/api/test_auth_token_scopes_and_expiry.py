"""POST /api/v1/auth/token: choosing a token's scopes and lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import ApiToken
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token"


def issue(client, user, **extra):
    return client.post(URL, {"email": user.email, "password": PASSWORD, **extra}, format="json")


def test_a_read_only_token_can_be_asked_for(api_client_for, alice):
    response = issue(api_client_for(None), alice, name="Reporting", scopes=["read"])

    assert response.status_code == 201
    assert response.json()["scopes"] == ["read"]
    assert ApiToken.objects.get(user=alice).scopes == "read"


def test_read_is_always_granted_with_write(api_client_for, alice):
    response = issue(api_client_for(None), alice, scopes=["write"])

    assert response.status_code == 201
    assert response.json()["scopes"] == ["read", "write"]
    assert ApiToken.objects.get(user=alice).scopes == "read write"


def test_the_name_is_kept(api_client_for, alice):
    response = issue(api_client_for(None), alice, name="Nightly export")

    assert response.json()["name"] == "Nightly export"
    assert ApiToken.objects.get(user=alice).name == "Nightly export"


@pytest.mark.parametrize("scopes", [[], ["admin"], "read"])
def test_scopes_must_be_a_list_of_known_scopes(api_client_for, alice, scopes):
    response = issue(api_client_for(None), alice, scopes=scopes)

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"scopes"}
    assert not ApiToken.objects.exists()


def test_a_token_can_expire_after_some_days(api_client_for, alice):
    before = timezone.now()
    response = issue(api_client_for(None), alice, expires_in_days=30)

    assert response.status_code == 201
    expires_at = parse_datetime(response.json()["expires_at"])
    assert before + timedelta(days=30) <= expires_at <= timezone.now() + timedelta(days=30)
    assert ApiToken.objects.get(user=alice).expires_at == expires_at


def test_without_a_lifetime_the_token_never_expires(api_client_for, alice):
    response = issue(api_client_for(None), alice, expires_in_days=None)

    assert response.status_code == 201
    assert response.json()["expires_at"] is None


@pytest.mark.parametrize("days", [0, -1, 3651, "soon"])
def test_a_lifetime_out_of_range_is_refused(api_client_for, alice, days):
    response = issue(api_client_for(None), alice, expires_in_days=days)

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"expires_in_days"}
    assert not ApiToken.objects.exists()
