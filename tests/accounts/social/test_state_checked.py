"""The callback only completes a sign-in this browser started: the `state` must be the one allauth stashed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.social.dance import return_to_site, signed_in_user, start_sign_in, visit_provider


def _callback_url(browser: Client) -> str:
    return visit_provider(start_sign_in(browser, "github").url)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("state=", "state=x"),
        lambda url: url.replace("state=", "other="),
    ],
    ids=["altered", "missing"],
)
def test_a_callback_with_a_tampered_state_is_an_error_and_signs_nobody_in(github_app, fake_github, tamper):
    browser = Client()
    callback = _callback_url(browser)

    response = return_to_site(browser, tamper(callback))

    assert response.status_code == 401
    assert signed_in_user(browser) is None
    assert not User.objects.exists()
    assert fake_github.token_requests == []  # the code was never even exchanged


def test_a_callback_from_a_sign_in_another_browser_started_is_refused(github_app, fake_github):
    callback = _callback_url(Client())
    victim = Client()

    response = return_to_site(victim, callback)

    assert response.status_code == 401
    assert signed_in_user(victim) is None
    assert not User.objects.exists()


def test_a_replayed_callback_is_refused(github_app, fake_github):
    browser = Client()
    callback = _callback_url(browser)
    return_to_site(browser, callback)
    browser.post(reverse("account_logout"))

    response = return_to_site(browser, callback)

    assert response.status_code == 401
    assert signed_in_user(browser) is None
