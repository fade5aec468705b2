"""pytest plugin: the fake GitHub and GitLab (tests.support.fake_oauth) run for the whole test session.

allauth's GitHub adapter reads SOCIALACCOUNT_PROVIDERS["github"]["GITHUB_URL"] once, when its module is imported, so
the fake's address must be in the environment before pytest-django imports helpdesk.settings. pytest-django does that
in its `pytest_load_initial_conftests`; a conftest.py is loaded after it, too late. This module is therefore loaded
with `-p tests.support.oauth_servers` (pyproject.toml addopts) and wraps that hook: it starts the server, sets
GITHUB_URL and GITLAB_URL, lets pytest-django load the settings, then puts the environment back, so processes that
tests start (tests.support.processes) see the developer's environment, not the fakes.

Only the URLs are set, never a client id: without an app (a SocialApp row or a settings override, which the social
tests create themselves) no provider is offered, and the rest of the suite sees the same pages as before.
The server costs a bound socket and an idle thread; it serves nothing unless a test starts a sign-in.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from tests.support.fake_oauth import FakeOAuthServer, FakeProvider, default_server

# The developer's own provider configuration must not leak into the settings the tests run with.
_PROVIDER_KNOBS = (
    "GITHUB_URL",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "GITLAB_URL",
    "GITLAB_CLIENT_ID",
    "GITLAB_CLIENT_SECRET",
    "GITLAB_EMAILS_TRUSTED",
)

_fakes: tuple[FakeOAuthServer, FakeProvider, FakeProvider] | None = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None, object, object]:
    global _fakes
    server, github, gitlab = default_server()
    _fakes = (server.start(), github, gitlab)
    saved = {name: os.environ.pop(name) for name in _PROVIDER_KNOBS if name in os.environ}
    os.environ["GITHUB_URL"] = github.base_url
    os.environ["GITLAB_URL"] = gitlab.base_url
    try:
        return (yield)  # pytest-django imports the settings here
    finally:
        for name in _PROVIDER_KNOBS:
            os.environ.pop(name, None)
        os.environ.update(saved)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _fakes is not None:
        _fakes[0].stop()


def fake_providers() -> tuple[FakeOAuthServer, FakeProvider, FakeProvider]:
    """The session's server, fake GitHub and fake GitLab (for fixtures)."""
    if _fakes is None:
        raise RuntimeError(
            "tests.support.oauth_servers was not loaded as a plugin: pytest -p tests.support.oauth_servers"
        )
    return _fakes
