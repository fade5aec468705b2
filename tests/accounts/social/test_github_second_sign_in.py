"""Signing in with GitHub again finds the account made the first time."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from tests.accounts.social.dance import sign_in_with, signed_in_user


def test_second_github_sign_in_signs_in_the_same_user_without_a_duplicate(github_app, fake_github):
    sign_in_with(Client(), "github")
    first = User.objects.get(email="mona@example.com")
    browser = Client()

    response = sign_in_with(browser, "github")

    assert response.status_code == 302
    assert signed_in_user(browser) == first
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(provider="github").count() == 1


def test_second_sign_in_is_recognised_by_github_id_not_by_a_changed_email(github_app, fake_github):
    sign_in_with(Client(), "github")
    first = User.objects.get(email="mona@example.com")
    fake_github.user.email = "mona@work.example.com"
    fake_github.user.emails[0].email = "mona@work.example.com"
    browser = Client()

    sign_in_with(browser, "github")

    assert signed_in_user(browser) == first
    assert User.objects.count() == 1
