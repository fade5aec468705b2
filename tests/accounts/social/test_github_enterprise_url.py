"""GITHUB_URL (GitHub Enterprise) drives every GitHub endpoint allauth uses: the test session points it at the fake."""

from __future__ import annotations

import os

from django.conf import settings
from django.test import Client

from tests.accounts.social.dance import sign_in_with, start_sign_in


def test_the_session_runs_with_github_url_pointing_at_the_fake(fake_github):
    assert fake_github.base_url == settings.GITHUB_URL
    assert fake_github.base_url == settings.SOCIALACCOUNT_PROVIDERS["github"]["GITHUB_URL"]


def test_processes_started_by_tests_do_not_inherit_the_fake_github_url(fake_github):
    assert os.environ.get("GITHUB_URL") != fake_github.base_url


def test_the_authorize_redirect_goes_to_the_enterprise_server(github_app, fake_github):
    response = start_sign_in(Client(), "github")

    assert response.url.startswith(f"{fake_github.base_url}/login/oauth/authorize?")


def test_token_and_profile_are_fetched_from_the_enterprise_api(github_app, fake_github):
    sign_in_with(Client(), "github")

    assert len(fake_github.token_requests) == 1  # POSTed to /login/oauth/access_token: the only token route
    assert fake_github.api_requests == ["/api/v3/user", "/api/v3/user/emails"]
