"""A forgotten password is reset through a one-time link sent by mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import user_create, user_password_reset
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-long-passphrase"


def reset_link(message) -> str:
    return re.search(r"http://testserver(/accounts/password/reset/key/[^\s]+/)", message.body).group(1)


def sign_in(email: str, password: str) -> Client:
    client = Client()
    client.post(reverse("account_login"), {"login": email, "password": password})
    return client


def set_new_password(client: Client, link: str):
    form_url = client.get(link).url  # allauth moves the key out of the URL into the session first
    return client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_the_reset_link_sets_a_new_password_that_signs_in(alice, mailoutbox):
    client = Client()
    client.post(reverse("account_reset_password"), {"email": "Alice@Example.com"})
    [message] = mailoutbox

    response = set_new_password(client, reset_link(message))

    assert response.status_code == 302
    assert "_auth_user_id" in sign_in(alice.email, NEW_PASSWORD).session
    assert "_auth_user_id" not in sign_in(alice.email, "correct-horse-battery-staple").session


def test_a_reset_link_works_only_once(alice, mailoutbox):
    Client().post(reverse("account_reset_password"), {"email": alice.email})
    link = reset_link(mailoutbox[0])
    set_new_password(Client(), link)

    second = Client().get(link, follow=True)

    assert "The password reset link was invalid" in second.content.decode()


def test_a_tampered_reset_link_is_refused(alice, mailoutbox):
    Client().post(reverse("account_reset_password"), {"email": alice.email})
    link = reset_link(mailoutbox[0])

    response = Client().get(link[:-3] + "xx/", follow=True)

    assert "The password reset link was invalid" in response.content.decode()


def test_no_reset_link_is_mailed_for_an_account_that_only_asked_to_change_to_the_address(mallory, mailoutbox):
    """Anyone may ask to change their address to anyone's (it waits, unconfirmed, in their browser's session; one
    asked for before confirmation went by code waits as a row on their Email page). A reset link for that account,
    mailed to the address, would have its owner set the password of Mallory's account and move in, while Mallory
    keeps her tokens and connected accounts."""
    sign_in(mallory.email, PASSWORD).post(reverse("account_email"), {"action_add": "", "email": "victim@example.com"})
    EmailAddress.objects.create(user=mallory, email="victim@example.com", verified=False)
    mailoutbox.clear()  # the confirmation mail of the change

    Client().post(reverse("account_reset_password"), {"email": "victim@example.com"})

    [message] = mailoutbox
    assert message.to == ["victim@example.com"]
    assert "/accounts/password/reset/key/" not in message.body


LOOKALIKE = "mona@ma\u0131l.example"  # a domain of its own, which PostgreSQL's case-insensitive match takes for mail.


def test_no_reset_link_is_mailed_for_an_account_that_proved_only_a_dotless_i_lookalike_of_the_address(db, mailoutbox):
    """The account proved `mona@ma\u0131l.example` and only asked to change to Mona's `mona@mail.example`: a reset
    link for it must not reach Mona's mailbox (accounts.models.with_this_address)."""
    other = user_create(email=LOOKALIKE, password=PASSWORD)
    EmailAddress.objects.create(user=other, email="mona@mail.example", verified=False)

    Client().post(reverse("account_reset_password"), {"email": "mona@mail.example"})

    [message] = mailoutbox
    assert message.to == ["mona@mail.example"]
    assert "/accounts/password/reset/key/" not in message.body


def test_a_reset_proves_the_account_address_and_not_a_dotless_i_lookalike_it_asked_to_change_to(db):
    """The reset link went to `mona@ma\u0131l.example`: it proves that mailbox, never Mona's `mona@mail.example`."""
    other = user_create(email=LOOKALIKE, password=PASSWORD, email_verified=False)
    EmailAddress.objects.create(user=other, email="mona@mail.example", verified=False)

    user_password_reset(user=other, password=NEW_PASSWORD)

    assert sorted(EmailAddress.objects.filter(user=other).values_list("email", "verified")) == [
        ("mona@mail.example", False),
        ("mona@ma\u0131l.example", True),
    ]


def test_the_mail_saying_the_password_was_reset_tells_its_time_in_the_owners_zone(alice, mailoutbox):
    """The link is followed signed out (the site's zone, UTC): the mail still tells Alice's own time."""
    User.objects.filter(pk=alice.pk).update(time_zone="Pacific/Kiritimati")  # UTC+14
    with time_machine.travel(datetime(2026, 5, 4, 11, 30, tzinfo=UTC), tick=False):
        client = Client()
        client.post(reverse("account_reset_password"), {"email": alice.email})
        set_new_password(client, reset_link(mailoutbox[0]))

    [notice] = [message for message in mailoutbox[1:] if "Date:" in message.body]
    assert "Date: May 5, 2026, 1:30 a.m." in notice.body
