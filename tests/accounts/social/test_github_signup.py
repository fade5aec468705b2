"""A first sign-in with GitHub creates a requester, signed in at once when GitHub has verified the address."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from tests.accounts.social.dance import sign_in_with, signed_in_user
from tests.support.fake_oauth import FakeProvider


def test_first_github_sign_in_creates_a_signed_in_requester_named_from_the_profile(github_app, fake_github):
    client = Client()

    response = sign_in_with(client, "github")

    assert response.status_code == 302
    user = User.objects.get(email="mona@example.com")
    assert signed_in_user(client) == user
    assert user.role == Role.REQUESTER
    assert user.name == "Mona Lisa Octocat"
    assert SocialAccount.objects.filter(user=user, provider="github", uid="4242").exists()
    assert client.get(response.url, follow=True).redirect_chain[-1][0] == reverse("ticket_list")


def test_an_address_github_has_verified_needs_no_confirmation_mail(github_app, fake_github):
    sign_in_with(Client(), "github")

    assert EmailAddress.objects.get(email="mona@example.com").verified
    assert mail.outbox == []


def test_new_github_users_get_no_password_to_sign_in_with(github_app, fake_github: FakeProvider):
    sign_in_with(Client(), "github")

    assert not User.objects.get(email="mona@example.com").has_usable_password()
