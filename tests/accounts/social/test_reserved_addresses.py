"""A provider's address at a `.invalid` domain makes no account: such addresses are the helpdesk's own (the
automations' actor, a forfeited sign-up), and an account made under one first would stand in for them."""

from __future__ import annotations

from django.test import Client

from accounts.models import AUTOMATION_ACTOR_EMAIL, User
from tests.accounts.social.conftest import register_app
from tests.accounts.social.dance import sign_in_with, signed_in_user


def test_a_trusted_gitlab_address_at_an_invalid_domain_makes_no_account(db, fake_gitlab):
    register_app(fake_gitlab, settings={"verified_email": True})
    fake_gitlab.user.email = AUTOMATION_ACTOR_EMAIL
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) is None
    assert not User.objects.filter(email=AUTOMATION_ACTOR_EMAIL).exists()


def test_an_untrusted_gitlab_address_at_an_invalid_domain_makes_no_account(gitlab_app, fake_gitlab):
    fake_gitlab.user.email = AUTOMATION_ACTOR_EMAIL
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) is None
    assert not User.objects.filter(email=AUTOMATION_ACTOR_EMAIL).exists()
