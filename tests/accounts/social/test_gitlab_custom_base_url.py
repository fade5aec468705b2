"""A self-hosted GitLab: the whole dance goes to its base URL, from an app's "gitlab_url" or from GITLAB_URL."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from django.test import Client

from accounts.models import User
from tests.accounts.social.conftest import register_app
from tests.accounts.social.dance import sign_in_with, start_sign_in
from tests.support.fake_oauth import FakeOAuthServer, FakeProvider, Kind


@pytest.fixture
def selfhosted_gitlab() -> Iterator[FakeProvider]:
    """A GitLab of its own, on another port and below a path, as many self-hosted installations are."""
    server = FakeOAuthServer()
    gitlab = server.mount("/code/gitlab", FakeProvider(Kind.GITLAB, client_id="selfhosted", client_secret="s3cret"))
    server.start()
    yield gitlab
    server.stop()


def test_an_apps_gitlab_url_sends_the_authorize_redirect_to_that_gitlab(db, selfhosted_gitlab):
    register_app(selfhosted_gitlab, settings={"gitlab_url": selfhosted_gitlab.base_url})

    response = start_sign_in(Client(), "gitlab")

    assert response.url.startswith(f"{selfhosted_gitlab.base_url}/oauth/authorize?")


def test_an_apps_gitlab_url_is_used_for_token_and_profile(db, selfhosted_gitlab, fake_gitlab):
    register_app(selfhosted_gitlab, settings={"gitlab_url": selfhosted_gitlab.base_url})

    sign_in_with(Client(), "gitlab")

    assert len(selfhosted_gitlab.token_requests) == 1
    assert selfhosted_gitlab.api_requests == ["/code/gitlab/api/v4/user"]
    assert fake_gitlab.authorize_requests == fake_gitlab.token_requests == fake_gitlab.api_requests == []
    assert User.objects.filter(email="mona@example.com").exists()  # made from the self-hosted GitLab's profile


def test_gitlab_url_in_the_provider_settings_is_used_by_apps_without_their_own(db, selfhosted_gitlab, settings):
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["gitlab"]["GITLAB_URL"] = selfhosted_gitlab.base_url
    settings.SOCIALACCOUNT_PROVIDERS = providers
    register_app(selfhosted_gitlab)

    response = sign_in_with(Client(), "gitlab")

    assert response.status_code == 302
    assert selfhosted_gitlab.authorize_requests[0]["path"] == "/code/gitlab/oauth/authorize"
    assert selfhosted_gitlab.api_requests == ["/code/gitlab/api/v4/user"]
