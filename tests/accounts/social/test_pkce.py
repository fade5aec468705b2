"""PKCE (S256): the code the provider hands back is useless without the verifier only this browser's session holds."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.accounts.social.dance import (
    query_of,
    return_to_site,
    sign_in_with,
    signed_in_user,
    start_sign_in,
    visit_provider,
)
from tests.support.fake_oauth import s256


@pytest.mark.parametrize("provider_id", ["github", "gitlab"])
def test_the_authorize_request_carries_an_s256_challenge_the_token_request_answers(
    github_app, gitlab_app, fake_github, fake_gitlab, provider_id
):
    fake = fake_github if provider_id == "github" else fake_gitlab

    sign_in_with(Client(), provider_id)

    [authorize] = fake.authorize_requests
    [token] = fake.token_requests
    assert authorize["code_challenge_method"] == "S256"
    assert "code_verifier" not in authorize
    assert len(token["code_verifier"]) >= 43
    assert s256(token["code_verifier"]) == authorize["code_challenge"]


def test_each_sign_in_gets_its_own_challenge(github_app, fake_github):
    sign_in_with(Client(), "github")
    sign_in_with(Client(), "github")

    first, second = fake_github.authorize_requests
    assert first["code_challenge"] != second["code_challenge"]


def test_a_code_issued_to_one_browser_cannot_be_redeemed_by_another(github_app, fake_github):
    """An attacker who steals the victim's code pairs it with a state of their own: the verifier then does not match."""
    stolen_code = query_of(visit_provider(start_sign_in(Client(), "github").url))["code"]
    attacker = Client()
    attackers_callback = visit_provider(start_sign_in(attacker, "github").url)
    attackers_state = query_of(attackers_callback)["state"]

    response = return_to_site(attacker, f"/accounts/github/login/callback/?code={stolen_code}&state={attackers_state}")

    assert response.status_code == 401
    assert signed_in_user(attacker) is None
    assert fake_github.api_requests == []  # the provider refused the exchange: no token, no profile
