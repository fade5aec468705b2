"""POST /api/v1/auth/token: a password alone must not get around two-factor authentication."""

from __future__ import annotations

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import ApiToken
from tests.conftest import PASSWORD

URL = "/api/v1/auth/token"


def issue(client, user):
    return client.post(URL, {"email": user.email, "password": PASSWORD}, format="json")


def test_a_user_with_a_second_factor_gets_no_token_for_a_password(api_client_for, alice):
    TOTP.activate(alice, generate_totp_secret())

    response = issue(api_client_for(None), alice)

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "mfa_required"
    assert "/accounts/tokens/" in error["message"]
    assert not ApiToken.objects.exists()


def test_staff_who_must_set_up_a_second_factor_get_no_token_until_they_have(api_client_for, bob, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True

    response = issue(api_client_for(None), bob)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"
    assert not ApiToken.objects.exists()


def test_requesters_are_not_held_to_the_staff_rule(api_client_for, alice, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True

    assert issue(api_client_for(None), alice).status_code == 201


def test_staff_without_the_rule_and_without_a_second_factor_get_a_token(api_client_for, bob, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False

    assert issue(api_client_for(None), bob).status_code == 201


def test_a_wrong_password_is_401_not_a_hint_about_the_second_factor(api_client_for, alice):
    TOTP.activate(alice, generate_totp_secret())

    response = api_client_for(None).post(URL, {"email": alice.email, "password": "wrong"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
