"""GitHub's per-address `verified` flag decides: an address GitHub has not verified must be confirmed by mail."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.social.conftest import register_app
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.confirmation_mail import confirm_with_code
from tests.support.fake_oauth import FakeEmail


def _github_reports_an_unverified_address(fake_github) -> None:
    fake_github.user.email = "new@example.com"
    fake_github.user.emails = [FakeEmail("new@example.com", verified=False, primary=True)]


def test_unverified_github_address_gets_a_confirmation_mail_and_no_sign_in(github_app, fake_github):
    _github_reports_an_unverified_address(fake_github)
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user(browser) is None
    assert [message.to for message in mail.outbox] == [["new@example.com"]]
    assert not EmailAddress.objects.get(email="new@example.com").verified


def test_confirming_the_address_from_the_mail_signs_the_new_user_in(github_app, fake_github):
    _github_reports_an_unverified_address(fake_github)
    browser = Client()
    sign_in_with(browser, "github")

    confirm_with_code(browser, mail.outbox[0])

    assert signed_in_user(browser) == User.objects.get(email="new@example.com")
    assert EmailAddress.objects.get(email="new@example.com").verified


def test_a_verified_secondary_address_becomes_the_account_address_and_the_unverified_one_stays_unverified(
    github_app, fake_github
):
    fake_github.user.email = "new@example.com"
    fake_github.user.emails = [
        FakeEmail("new@example.com", verified=False, primary=True),
        FakeEmail("other@example.com", verified=True),
    ]
    browser = Client()

    sign_in_with(browser, "github")

    assert signed_in_user(browser) == User.objects.get(email="other@example.com")
    assert not EmailAddress.objects.get(email="new@example.com").verified


def test_an_app_marked_trusted_does_not_make_an_address_github_has_not_verified_count(db, fake_github):
    """The admin's "trust" box is for a GitLab; ticked on a GitHub app, it must not turn an address anyone may type on
    their GitHub profile into one they proved here, taking it from the sign-up that holds it."""
    register_app(fake_github, settings={"verified_email": True})
    password = "victims-own-passphrase-1"
    Client().post(reverse("account_signup"), {"email": "new@example.com", "password1": password, "password2": password})
    victim = User.objects.get(email="new@example.com")
    _github_reports_an_unverified_address(fake_github)
    browser = Client()

    sign_in_with(browser, "github")

    assert signed_in_user(browser) is None
    victim.refresh_from_db()
    assert victim.email == "new@example.com" and victim.is_active
    assert list(User.objects.all()) == [victim]
