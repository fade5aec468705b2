"""Two apps for one provider (rows the admin no longer accepts, or a row next to the environment's app): allauth
cannot tell which to use. Sign-in with that provider answers with a page that says so, never a server error."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import Client
from django.urls import reverse

from tests.accounts.social.dance import signed_in_user


@pytest.fixture
def second_github_app(github_app: SocialApp) -> SocialApp:
    return SocialApp.objects.create(provider="github", name="Another GitHub", client_id="another-client")


@pytest.fixture
def github_from_environment_too(github_app: SocialApp, settings) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "github": {
            **settings.SOCIALACCOUNT_PROVIDERS["github"],
            "APPS": [{"client_id": "from-env", "secret": "env-secret"}],
        },
    }


@pytest.mark.parametrize("ambiguity", ["second_github_app", "github_from_environment_too"])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", ["github_login", "github_callback"])
def test_a_provider_with_two_apps_answers_with_an_error_page_not_a_server_error(request, ambiguity, url_name, method):
    request.getfixturevalue(ambiguity)
    browser = Client(raise_request_exception=False)

    response = getattr(browser, method)(reverse(url_name), {"code": "x", "state": "y"})

    assert response.status_code == 503
    assert "GitHub sign-in is not available" in response.content.decode()
    assert signed_in_user(browser) is None


@pytest.mark.parametrize("ambiguity", ["second_github_app", "github_from_environment_too"])
def test_the_sign_in_page_leaves_out_the_ambiguous_provider_and_keeps_the_others(request, ambiguity, gitlab_app):
    request.getfixturevalue(ambiguity)

    response = Client(raise_request_exception=False).get(reverse("account_login"))

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("github_login") not in page
    assert reverse("gitlab_login") in page


def test_two_gitlab_apps_for_different_servers_answer_with_the_error_page(gitlab_app):
    """One sign-in URL and one callback URL per provider: allauth cannot tell the servers apart."""
    SocialApp.objects.create(
        provider="gitlab",
        name="Other GitLab",
        client_id="other",
        settings={"gitlab_url": "https://gitlab.other.example"},
    )
    browser = Client(raise_request_exception=False)

    response = browser.post(reverse("gitlab_login"), {"process": "login"})

    assert response.status_code == 503
    assert "GitLab sign-in is not available" in response.content.decode()


def test_the_connected_accounts_page_opens_without_the_ambiguous_provider(second_github_app, client_for, alice):
    response = client_for(alice).get(reverse("socialaccount_connections"))

    assert response.status_code == 200
    assert reverse("github_login") not in response.content.decode()


def test_a_hidden_second_app_leaves_the_provider_usable(github_app):
    """allauth's own rule: of several apps, the one not marked hidden is used."""
    SocialApp.objects.create(provider="github", name="Hidden", client_id="hidden", settings={"hidden": True})
    browser = Client()

    page = browser.get(reverse("account_login")).content.decode()
    started = browser.post(reverse("github_login"), {"process": "login"})

    assert reverse("github_login") in page
    assert started.status_code == 302
    assert f"client_id={github_app.client_id}" in started.url
