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
from accounts.services import user_create
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.conftest import PASSWORD
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


def test_a_github_public_address_of_a_local_account_leaves_it_alone_and_signs_up_with_the_primary(
    alice, github_app, fake_github
):
    """GitHub's profile may show another of the person's addresses than their primary one; allauth checks the primary
    is free. Alice's address on the profile must not end the sign-up in a 500, nor reach her account."""
    fake_github.user.email = "alice@example.com"
    fake_github.user.emails = [
        FakeEmail("mona@example.com", verified=True, primary=True),
        FakeEmail("alice@example.com", verified=True),
    ]
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 302
    mona = User.objects.get(email="mona@example.com")
    assert signed_in_user(browser) == mona
    assert list(EmailAddress.objects.filter(email="alice@example.com").values_list("user", flat=True)) == [alice.pk]


SQUATTED = "mona@example.com"


def squatter_signs_up(address: str) -> User:
    """Someone signs up with an address they do not own, and never confirms it."""
    password = "squatters-own-passphrase-1"
    Client().post(reverse("account_signup"), {"email": address, "password1": password, "password2": password})
    return User.objects.get(email=address)


def test_a_github_verified_address_someone_signed_up_with_unconfirmed_gets_its_own_account(github_app, fake_github):
    """GitHub vouches that Mona owns the address; the sign-up that only claimed it loses it. She gets a new account:
    never the one that claimed it, whose password someone else chose."""
    squatter = squatter_signs_up(SQUATTED)
    fake_github.user.email = SQUATTED
    fake_github.user.emails = [FakeEmail(SQUATTED, verified=True, primary=True)]
    browser = Client()

    sign_in_with(browser, "github")

    mona = signed_in_user(browser)
    assert mona is not None and mona.pk != squatter.pk and mona.email == SQUATTED
    assert list(SocialAccount.objects.values_list("user", flat=True)) == [mona.pk]
    assert list(EmailAddress.objects.filter(email=SQUATTED).values_list("user", "verified")) == [(mona.pk, True)]
    squatter.refresh_from_db()
    assert squatter.email != SQUATTED and not squatter.is_active and not squatter.has_usable_password()


def test_a_github_verified_address_another_account_only_asked_to_change_to_signs_up(alice, github_app, fake_github):
    """Alice typed Mona's address on her Email page (anyone can); that claim does not keep Mona out."""
    client = Client()
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    client.post(reverse("account_email"), {"action_add": "", "email": SQUATTED})
    fake_github.user.email = SQUATTED
    fake_github.user.emails = [FakeEmail(SQUATTED, verified=True, primary=True)]
    browser = Client()

    sign_in_with(browser, "github")

    mona = signed_in_user(browser)
    assert mona is not None and mona.pk != alice.pk and mona.email == SQUATTED
    assert list(EmailAddress.objects.filter(email=SQUATTED).values_list("user", "verified")) == [(mona.pk, True)]
    alice.refresh_from_db()
    assert alice.email == "alice@example.com" and alice.is_active


def test_an_unverified_provider_address_someone_signed_up_with_takes_nothing_from_them(gitlab_app, fake_gitlab):
    """Neither proved the address (an untrusted GitLab vouches for nothing): the first claim stands, nobody signs in."""
    squatter = squatter_signs_up(SQUATTED)
    fake_gitlab.user.email = SQUATTED
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) is None
    assert not SocialAccount.objects.exists()
    squatter.refresh_from_db()
    assert squatter.email == SQUATTED and squatter.is_active


def test_a_sign_up_that_took_the_forfeited_address_first_does_not_end_the_github_sign_up_in_a_500(
    github_app, fake_github
):
    squatter = squatter_signs_up(SQUATTED)
    for guess in range(squatter.pk, squatter.pk + 3):
        # No door takes a .invalid address now (accounts.selectors.address_reserved): an account made before that
        user_create(email=f"forfeited-{guess}@helpdesk.invalid", password="x-long-passphrase-1", email_verified=False)
    fake_github.user.email = SQUATTED
    fake_github.user.emails = [FakeEmail(SQUATTED, verified=True, primary=True)]
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 302
    mona = signed_in_user(browser)
    assert mona is not None and mona.pk != squatter.pk and mona.email == SQUATTED
    squatter.refresh_from_db()
    assert squatter.email != SQUATTED and not squatter.is_active
