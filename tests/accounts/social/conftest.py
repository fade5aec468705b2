"""Fake GitHub and GitLab (tests.support.oauth_servers) and the apps that register this helpdesk with them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from allauth.socialaccount.models import SocialApp

from accounts.models import SocialAppSecret
from tests.support.fake_oauth import FakeOAuthServer, FakeProvider
from tests.support.oauth_servers import fake_providers


@pytest.fixture(autouse=True)
def _loopback_without_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """allauth talks to the fakes with `requests`, which would send 127.0.0.1 through a proxy set in the environment."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, ",".join(filter(None, [os.environ.get(name), "127.0.0.1", "localhost"])))


@pytest.fixture
def oauth_server() -> Iterator[FakeOAuthServer]:
    server, github, gitlab = fake_providers()
    github.reset()
    gitlab.reset()
    yield server
    github.reset()
    gitlab.reset()


@pytest.fixture
def fake_github(oauth_server: FakeOAuthServer) -> FakeProvider:
    return fake_providers()[1]


@pytest.fixture
def fake_gitlab(oauth_server: FakeOAuthServer) -> FakeProvider:
    return fake_providers()[2]


def register_app(provider: FakeProvider, *, settings: dict[str, object] | None = None) -> SocialApp:
    """An app as an admin configures it: the client secret lives encrypted in SocialAppSecret, not on the app."""
    app = SocialApp.objects.create(
        provider=provider.kind.value,
        name=f"Fake {provider.kind.value}",
        client_id=provider.client_id,
        settings=settings or {},
    )
    SocialAppSecret.objects.create(app=app, secret=provider.client_secret)
    return app


@pytest.fixture
def github_app(db: None, fake_github: FakeProvider) -> SocialApp:
    return register_app(fake_github)


@pytest.fixture
def gitlab_app(db: None, fake_gitlab: FakeProvider) -> SocialApp:
    """No "gitlab_url" of its own: it follows GITLAB_URL, which the test session points at the fake."""
    return register_app(fake_gitlab)
