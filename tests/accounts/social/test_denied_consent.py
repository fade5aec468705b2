"""Pressing "Cancel" at the provider brings the visitor back to a "sign-in cancelled" page, signed out."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.fake_oauth import Consent


def test_denied_consent_at_github_shows_the_cancelled_page(github_app, fake_github):
    fake_github.consent = Consent.DENY
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 302
    assert response.url == reverse("socialaccount_login_cancelled")
    assert browser.get(response.url).status_code == 200
    assert signed_in_user(browser) is None
    assert not User.objects.exists()


def test_denied_consent_at_gitlab_shows_the_cancelled_page(gitlab_app, fake_gitlab):
    fake_gitlab.consent = Consent.DENY
    browser = Client()

    response = sign_in_with(browser, "gitlab")

    assert response.url == reverse("socialaccount_login_cancelled")
    assert signed_in_user(browser) is None
    assert fake_gitlab.token_requests == []
