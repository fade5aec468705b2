"""The API tokens page: create a token (its secret shown once), see your tokens, revoke one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_issue, api_token_revoke
from accounts.tokens import token_digest
from tests.support.html import blocked_by_strict_csp, elements

URL = "/accounts/tokens/"


def create(client: Client, **data: str) -> object:
    return client.post(URL, {"name": "Backup script", "expires": "90", **data})


def secret_shown(response) -> str | None:
    for tag, attrs in elements(response.content.decode()):
        if tag == "input" and attrs.get("id") == "new-token-secret":
            return attrs.get("value")
    return None


def test_the_page_is_at_accounts_tokens():
    assert reverse("api_tokens") == URL


def test_anonymous_visitors_are_sent_to_sign_in(db):
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_page_lists_the_users_own_usable_tokens(client_for, alice, mallory):
    api_token_issue(user=alice, name="Laptop", scopes=["read"])
    revoked, _ = api_token_issue(user=alice, name="Old phone")
    api_token_revoke(token=revoked)
    api_token_issue(user=alice, name="Expired thing", expires_at=timezone.now() - timedelta(days=1))
    api_token_issue(user=mallory, name="Mallory's script")

    body = client_for(alice).get(URL).content.decode()

    assert "Laptop" in body and "Read only" in body
    assert "Old phone" not in body and "Expired thing" not in body and "Mallory's script" not in body


def test_creating_a_token_shows_its_secret_once(client_for, alice):
    client = client_for(alice)

    response = create(client)

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    secret = secret_shown(response)
    assert secret and secret.startswith("hd_")
    assert "Copy it now" in response.content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.digest == token_digest(secret)
    assert token.name == "Backup script"
    again = client.get(URL)
    assert secret not in again.content.decode()
    assert secret_shown(again) is None


def test_the_secret_is_not_kept_in_the_session(client_for, alice):
    client = client_for(alice)

    secret = secret_shown(create(client))

    assert all(secret not in str(value) for value in client.session.values())


def test_the_new_token_works_with_the_api(client_for, alice):
    secret = secret_shown(create(client_for(alice)))

    response = Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["email"] == alice.email


def test_a_token_is_read_only_unless_changes_are_allowed(client_for, alice):
    client = client_for(alice)

    create(client, name="reader")
    create(client, name="writer", allow_write="on")

    assert ApiToken.objects.get(name="reader").scopes == "read"
    assert ApiToken.objects.get(name="writer").scopes == "read write"


@pytest.mark.parametrize(("choice", "days"), [("30", 30), ("90", 90), ("365", 365)])
def test_the_chosen_lifetime_sets_the_expiry(client_for, alice, choice, days):
    before = timezone.now()

    create(client_for(alice), expires=choice)

    expires_at = ApiToken.objects.get(user=alice).expires_at
    assert before + timedelta(days=days) <= expires_at <= timezone.now() + timedelta(days=days)


def test_a_token_may_never_expire(client_for, alice):
    create(client_for(alice), expires="never")

    assert ApiToken.objects.get(user=alice).expires_at is None


def test_ninety_days_is_the_preselected_lifetime(client_for, alice):
    html = client_for(alice).get(URL).content.decode()

    selected = [attrs.get("value") for tag, attrs in elements(html) if tag == "option" and "selected" in attrs]
    assert selected == ["90"]


@pytest.mark.parametrize("data", [{"name": ""}, {"expires": "forever"}])
def test_an_invalid_form_creates_nothing_and_shows_no_secret(client_for, alice, data):
    response = create(client_for(alice), **data)

    assert response.status_code == 200
    assert secret_shown(response) is None
    assert "The token was not created" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_user_with_a_second_factor_may_create_tokens_here(client_for, alice):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(alice, generate_totp_secret())

    assert create(client_for(alice)).status_code == 201


def test_revoking_a_token_stops_it_working(client_for, alice):
    token, secret = api_token_issue(user=alice, name="Laptop")
    client = client_for(alice)

    response = client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain[-1][0] == URL
    assert "was revoked" in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_mallory_gets_404_revoking_alices_token(client_for, alice, mallory):
    token, _ = api_token_issue(user=alice, name="Laptop")

    response = client_for(mallory).post(reverse("api_token_revoke", args=[token.pk]))

    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_revoking_takes_a_post(client_for, alice):
    token, _ = api_token_issue(user=alice, name="Laptop")

    response = client_for(alice).get(reverse("api_token_revoke", args=[token.pk]))

    assert response.status_code == 405
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_forms_are_csrf_protected(alice):
    token, _ = api_token_issue(user=alice, name="Laptop")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.post(URL, {"name": "x", "expires": "90"}).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.filter(user=alice).count() == 1
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_page_has_nothing_the_csp_would_block(client_for, alice):
    api_token_issue(user=alice, name="Laptop")
    client = client_for(alice)

    for response in (client.get(URL), create(client)):
        assert blocked_by_strict_csp(response.content.decode(), nonce=None) == []
