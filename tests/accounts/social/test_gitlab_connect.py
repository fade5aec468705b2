"""A signed-in user connects GitLab to their account, then signs in with it."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.social.dance import sign_in_with, signed_in_user


def test_alice_connects_gitlab_from_her_connections_page(alice, client_for, gitlab_app, fake_gitlab):
    browser = client_for(alice)
    assert browser.get(reverse("socialaccount_connections")).status_code == 200

    response = sign_in_with(browser, "gitlab", process="connect")

    assert response.status_code == 302
    assert response.url == reverse("socialaccount_connections")
    assert SocialAccount.objects.filter(user=alice, provider="gitlab", uid="4242").exists()
    assert signed_in_user(browser) == alice
    assert User.objects.count() == 1


def test_connecting_gitlab_mails_the_account_owner(alice, client_for, gitlab_app, fake_gitlab):
    sign_in_with(client_for(alice), "gitlab", process="connect")

    assert [message.to for message in mail.outbox] == [["alice@example.com"]]


def test_connecting_keeps_the_account_address_even_when_gitlab_reports_another(
    alice, client_for, gitlab_app, fake_gitlab
):
    sign_in_with(client_for(alice), "gitlab", process="connect")

    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_after_connecting_alice_can_sign_in_with_gitlab(alice, client_for, gitlab_app, fake_gitlab):
    sign_in_with(client_for(alice), "gitlab", process="connect")
    browser = Client()

    sign_in_with(browser, "gitlab")

    assert signed_in_user(browser) == alice


def test_an_anonymous_visitor_cannot_connect_an_account(db, gitlab_app, fake_gitlab):
    browser = Client()

    sign_in_with(browser, "gitlab", process="connect")

    assert signed_in_user(browser) is None
    assert not SocialAccount.objects.exists()
    assert not User.objects.exists()


def test_a_gitlab_account_connected_to_mallory_cannot_be_connected_to_alice(
    alice, mallory, client_for, gitlab_app, fake_gitlab
):
    sign_in_with(client_for(mallory), "gitlab", process="connect")
    browser = client_for(alice)

    response = sign_in_with(browser, "gitlab", process="connect")

    assert response.status_code == 302
    assert list(SocialAccount.objects.values_list("user", flat=True)) == [mallory.pk]
    assert signed_in_user(browser) == alice
