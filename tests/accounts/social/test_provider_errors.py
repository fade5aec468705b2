"""A provider that fails shows our sign-in error page (401), never a server error, and signs nobody in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.fake_oauth import Consent, TokenFailure


def test_an_error_reported_by_the_provider_on_the_way_back_shows_the_error_page(github_app, fake_github):
    fake_github.consent = Consent.ERROR
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 401
    assert signed_in_user(browser) is None
    assert not User.objects.exists()


@pytest.mark.parametrize("failure", [TokenFailure.HTTP_500, TokenFailure.ERROR_JSON])
@pytest.mark.parametrize("provider_id", ["github", "gitlab"])
def test_a_failing_token_endpoint_shows_the_error_page(
    github_app, gitlab_app, fake_github, fake_gitlab, provider_id, failure
):
    fake = fake_github if provider_id == "github" else fake_gitlab
    fake.token_failure = failure
    browser = Client()

    response = sign_in_with(browser, provider_id)

    assert response.status_code == 401
    assert len(fake.token_requests) == 1
    assert fake.api_requests == []
    assert signed_in_user(browser) is None
    assert not User.objects.exists()


@pytest.mark.parametrize("provider_id", ["github", "gitlab"])
def test_a_failing_profile_endpoint_shows_the_error_page(github_app, gitlab_app, fake_github, fake_gitlab, provider_id):
    fake = fake_github if provider_id == "github" else fake_gitlab
    fake.api_failure = True
    browser = Client()

    response = sign_in_with(browser, provider_id)

    assert response.status_code == 401
    assert len(fake.api_requests) == 1
    assert signed_in_user(browser) is None
    assert not User.objects.exists()


def test_a_wrong_client_secret_is_refused_by_the_provider_and_shows_the_error_page(github_app, fake_github, settings):
    github_app.encrypted_secret.secret = "not-the-secret"
    github_app.encrypted_secret.save()
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 401
    assert fake_github.token_requests[0]["client_secret"] == "not-the-secret"
    assert signed_in_user(browser) is None


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", ["github_login", "github_callback", "gitlab_login", "gitlab_callback"])
def test_a_provider_nobody_configured_is_not_found_rather_than_a_server_error(db, url_name, method):
    """A fresh deployment configures no provider, yet the URLs exist: anyone could ask for them."""
    browser = Client(raise_request_exception=False)

    response = getattr(browser, method)(reverse(url_name), {"code": "x", "state": "y"})

    assert response.status_code == 404
    assert signed_in_user(browser) is None
