"""Signed-in users change their email address (confirmed before it replaces the old one) and their password."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from events.models import Event, EventKind
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-long-passphrase"


def signed_in(user) -> Client:
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return client


def test_a_new_address_replaces_the_old_one_only_once_confirmed(alice, mailoutbox):
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": "alice@new.example"})

    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # not yet: the new address is unconfirmed
    [confirmation] = [message for message in mailoutbox if message.to == ["alice@new.example"]]
    link = re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", confirmation.body).group(1)
    client.post(link)

    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", "verified", "primary")) == [
        ("alice@new.example", True, True)
    ]


def confirm_new_address(client, mailoutbox, address: str) -> None:
    client.post(reverse("account_email"), {"action_add": "", "email": address})
    [confirmation] = [message for message in mailoutbox if message.to == [address]]
    client.post(re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", confirmation.body).group(1))


def test_a_confirmed_new_address_records_that_the_user_was_edited(alice, mailoutbox):
    client = signed_in(alice)

    confirm_new_address(client, mailoutbox, "alice@new.example")

    # The event their tickets' search documents are rebuilt on (search/handlers.py), as when an admin edits them.
    edited = Event.objects.filter(kind=EventKind.USER_EDITED)
    assert [(event.actor, event.payload["user_id"]) for event in edited] == [(alice, alice.pk)]


def test_an_address_of_another_account_is_not_taken(alice, mallory, mailoutbox):
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": mallory.email})

    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not EmailAddress.objects.filter(user=alice, email=mallory.email, verified=True).exists()


def test_changing_the_password_needs_the_old_one_and_tells_the_owner_by_mail(alice, mailoutbox):
    client = signed_in(alice)

    refused = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    changed = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert refused.status_code == 200 and "Please type your current password." in refused.content.decode()
    assert changed.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert any(message.to == [alice.email] and "Password" in message.subject for message in mailoutbox)
