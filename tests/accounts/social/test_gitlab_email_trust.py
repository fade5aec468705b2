"""GitLab addresses count as unverified unless the app is marked trusted (allauth's "verified_email")."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from tests.accounts.social.conftest import register_app
from tests.accounts.social.dance import sign_in_with, signed_in_user


def test_an_untrusted_gitlab_address_must_be_confirmed_by_mail_before_sign_in(gitlab_app, fake_gitlab):
    browser = Client()

    response = sign_in_with(browser, "gitlab")

    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user(browser) is None
    assert [message.to for message in mail.outbox] == [["mona@example.com"]]
    assert not EmailAddress.objects.get(email="mona@example.com").verified


def test_a_trusted_gitlab_address_is_verified_and_signs_in_at_once(db, fake_gitlab):
    register_app(fake_gitlab, settings={"verified_email": True})
    browser = Client()

    sign_in_with(browser, "gitlab")

    user = User.objects.get(email="mona@example.com")
    assert signed_in_user(browser) == user
    assert user.role == Role.REQUESTER
    assert EmailAddress.objects.get(email="mona@example.com").verified
    assert mail.outbox == []


def test_trusting_gitlab_does_not_make_it_take_over_a_local_account(alice, fake_gitlab):
    register_app(fake_gitlab, settings={"verified_email": True})
    fake_gitlab.user.email = "alice@example.com"
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) is None
    assert list(User.objects.all()) == [alice]
