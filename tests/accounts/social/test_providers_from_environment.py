"""Client id and secret from the environment configure a provider with no admin app at all."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialApp
from django.test import Client

from accounts.models import User
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.oauth_servers import fake_providers
from tests.support.processes import run_django


def _providers_configured_by(env: dict[str, str], tmp_path: Path) -> dict[str, object]:
    """SOCIALACCOUNT_PROVIDERS as helpdesk.settings builds it from `env`, in a fresh process (read at start-up)."""
    code = "from django.conf import settings; import json; print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS))"
    result = run_django(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def _configured_by_environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Starting Django takes a second or two: once for the module."""
    _, github, gitlab = fake_providers()
    env = {
        "GITHUB_URL": github.base_url,
        "GITHUB_CLIENT_ID": github.client_id,
        "GITHUB_CLIENT_SECRET": github.client_secret,
        "GITLAB_URL": gitlab.base_url,
        "GITLAB_CLIENT_ID": gitlab.client_id,
        "GITLAB_CLIENT_SECRET": gitlab.client_secret,
        "GITLAB_EMAILS_TRUSTED": "true",
    }
    return _providers_configured_by(env, tmp_path_factory.mktemp("environment"))


@pytest.fixture
def environment_providers(
    _configured_by_environment: dict[str, object], oauth_server: object, settings: object
) -> dict[str, object]:
    providers = copy.deepcopy(_configured_by_environment)
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return providers


def test_the_environment_configures_both_providers_with_pkce(environment_providers):
    github, gitlab = environment_providers["github"], environment_providers["gitlab"]
    assert github["APPS"][0]["client_id"] == "helpdesk-client"
    assert github["OAUTH_PKCE_ENABLED"] is True
    assert gitlab["OAUTH_PKCE_ENABLED"] is True
    assert gitlab["APPS"][0]["settings"]["verified_email"] is True


def test_signing_in_with_github_configured_from_the_environment(db, environment_providers, fake_github):
    browser = Client()

    sign_in_with(browser, "github")

    assert not SocialApp.objects.exists()
    assert signed_in_user(browser) == User.objects.get(email="mona@example.com")
    assert fake_github.token_requests[0]["client_secret"] == "helpdesk-secret"


def test_gitlab_emails_trusted_from_the_environment_verifies_the_address(db, environment_providers, fake_gitlab):
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) == User.objects.get(email="mona@example.com")
    assert EmailAddress.objects.get(email="mona@example.com").verified
