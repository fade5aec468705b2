"""A provider that reports an address of an existing account never signs anyone in to that account.

allauth (ACCOUNT_PREVENT_ENUMERATION with mandatory verification) answers as if it had sent a confirmation mail,
and mails the owner that someone tried to sign up with their address; the owner connects providers themselves.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.fake_oauth import FakeEmail


def test_github_verified_address_of_a_local_account_does_not_sign_in_to_it(alice, github_app, fake_github):
    fake_github.user.email = "alice@example.com"
    fake_github.user.emails = [FakeEmail("alice@example.com", verified=True, primary=True)]
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user(browser) is None
    assert not SocialAccount.objects.exists()
    assert list(User.objects.all()) == [alice]


def test_the_owner_is_told_by_mail_that_someone_used_their_address(alice, github_app, fake_github):
    fake_github.user.email = "alice@example.com"
    fake_github.user.emails = [FakeEmail("alice@example.com", verified=True, primary=True)]

    sign_in_with(Client(), "github")

    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert "already exists" in mail.outbox[0].subject.lower()


def test_gitlab_address_of_a_local_account_does_not_sign_in_to_it(alice, gitlab_app, fake_gitlab):
    fake_gitlab.user.email = "alice@example.com"
    browser = Client()

    response = sign_in_with(browser, "gitlab")

    assert response.status_code == 302
    assert signed_in_user(browser) is None
    assert not SocialAccount.objects.exists()
    assert list(User.objects.all()) == [alice]


def test_the_address_is_matched_case_insensitively(alice, gitlab_app, fake_gitlab):
    fake_gitlab.user.email = "Alice@Example.COM"
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) is None
    assert not SocialAccount.objects.exists()
    assert list(User.objects.all()) == [alice]


def test_a_secondary_github_address_of_a_local_account_stays_with_its_owner(alice, github_app, fake_github):
    fake_github.user.email = "mona@example.com"
    fake_github.user.emails = [
        FakeEmail("mona@example.com", verified=True, primary=True),
        FakeEmail("alice@example.com", verified=True),
    ]
    browser = Client()

    sign_in_with(browser, "github")

    mona = User.objects.get(email="mona@example.com")
    assert signed_in_user(browser) == mona
    assert not SocialAccount.objects.filter(user=alice).exists()
    assert list(EmailAddress.objects.filter(email="alice@example.com").values_list("user", flat=True)) == [alice.pk]
