"""Signed-in users change their email address (confirmed before it replaces the old one) and their password."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.services import api_token_issue, user_create, user_update
from events.models import Event, EventKind
from forms_builder.services import public_requester_for
from tests.conftest import PASSWORD, alices_ticket
from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.confirmation_mail import confirm_with_code, recipient_does_what_the_mail_says
from tickets.models import Ticket

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
    assert "http://" not in confirmation.body  # only a code, which works in this browser alone
    confirm_with_code(client, confirmation)

    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", "verified", "primary")) == [
        ("alice@new.example", True, True)
    ]


def confirm_new_address(client, mailoutbox, address: str) -> None:
    client.post(reverse("account_email"), {"action_add": "", "email": address})
    [confirmation] = [message for message in mailoutbox if message.to == [address]]
    confirm_with_code(client, confirmation)


def test_a_confirmed_new_address_records_that_the_user_was_edited(alice, mailoutbox):
    client = signed_in(alice)

    confirm_new_address(client, mailoutbox, "alice@new.example")

    # The event their tickets' search documents are rebuilt on (search/handlers.py), as when an admin edits them.
    edited = Event.objects.filter(kind=EventKind.USER_EDITED)
    assert [(event.actor, event.payload["user_id"]) for event in edited] == [(alice, alice.pk)]


class RolledBack(Exception):
    pass


def mails_to(mailoutbox, address: str) -> list:
    return [message for message in mailoutbox if message.to == [address]]


def test_the_mail_saying_the_address_changed_is_not_sent_when_the_confirmation_is_rolled_back(alice, mailoutbox):
    client = signed_in(alice)
    client.post(reverse("account_email"), {"action_add": "", "email": "alice@new.example"})
    [confirmation] = mails_to(mailoutbox, "alice@new.example")

    with pytest.raises(RolledBack), transaction.atomic():
        confirm_with_code(client, confirmation)
        raise RolledBack

    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert mails_to(mailoutbox, "alice@example.com") == []


def test_the_mail_saying_the_address_changed_is_sent_once_the_confirmation_is_committed(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    client.post(reverse("account_email"), {"action_add": "", "email": "alice@new.example"})
    [confirmation] = mails_to(mailoutbox, "alice@new.example")

    with django_capture_on_commit_callbacks(execute=True):
        confirm_with_code(client, confirmation)

    [changed] = mails_to(mailoutbox, "alice@example.com")
    assert "alice@new.example" in changed.body


def test_an_address_another_account_confirms_at_the_same_moment_is_refused_with_a_message(
    alice, mallory, mailoutbox, monkeypatch
):
    """Alice's confirmation of the address commits between Mallory's check that nobody has it and her saving it
    (shown here by adding Alice's at that moment; with two real connections in
    test_concurrent_confirmations_postgres.py): Mallory is told, and keeps her own address."""
    client = signed_in(mallory)
    client.post(reverse("account_email"), {"action_add": "", "email": "shared@new.example"})
    [confirmation] = mails_to(mailoutbox, "shared@new.example")
    checked = EmailAddress.can_set_verified

    def alice_confirms_meanwhile(address: EmailAddress) -> bool:
        free = checked(address)
        EmailAddress.objects.create(user=alice, email="shared@new.example", verified=True)
        return free

    monkeypatch.setattr(EmailAddress, "can_set_verified", alice_confirms_meanwhile)

    response = confirm_with_code(client, confirmation, follow=True)

    assert response.status_code == 200
    assert "Unable to confirm shared@new.example because it is already confirmed by a different account." in (
        response.content.decode()
    )
    mallory.refresh_from_db()
    assert mallory.email == "mallory@example.com"
    rows = EmailAddress.objects.filter(user=mallory).order_by("email").values_list("email", "verified", "primary")
    assert list(rows) == [("mallory@example.com", True, True)]  # a change asked for has no row until confirmed
    assert mails_to(mailoutbox, "mallory@example.com") == []


VICTIM = "victim@example.com"


def test_a_change_to_someone_elses_address_is_not_confirmed_by_them_doing_what_our_mail_says(
    mallory, category, carol, mailoutbox
):
    """Mallory asks to change to the victim's address, which has no account. The victim gets our genuine mail and
    does what it says, in their own browser. That must not make the address Mallory's: she would sign in with her own
    password as the victim and read every ticket they open from it (a public form, a mail)."""
    signed_in(mallory).post(reverse("account_email"), {"action_add": "", "email": VICTIM})
    [mail] = mails_to(mailoutbox, VICTIM)

    recipient_does_what_the_mail_says(Client(), mail)

    mallory.refresh_from_db()
    assert mallory.email == "mallory@example.com"
    assert not EmailAddress.objects.filter(email=VICTIM, verified=True).exists()
    form = bug_report_form(category=category, admin=carol, public=True)
    data = {**answers(product="web", summary="My salary slip is wrong"), "requester-email": VICTIM}
    assert Client().post(fill_url(form), data).status_code == 200
    assert Ticket.objects.get(subject__contains="salary slip").requester != mallory
    assert "salary slip" not in signed_in(mallory).get(reverse("ticket_list")).content.decode()


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


SQUATTED = "alice@new.example"
SQUATTERS_PASSWORD = "squatters-own-passphrase-1"


def squatter_signs_up(address: str) -> tuple[Client, User]:
    """Someone signs up with an address they do not own; the confirmation mail goes to its owner, who ignores it."""
    browser = Client()
    browser.post(
        reverse("account_signup"), {"email": address, "password1": SQUATTERS_PASSWORD, "password2": SQUATTERS_PASSWORD}
    )
    cache.clear()  # days pass: allauth's limit of one confirmation mail per address every 3 minutes has lapsed
    return browser, User.objects.get(email=address)


def test_the_owner_proving_an_address_someone_signed_up_with_unconfirmed_takes_it(alice, mailoutbox):
    """The unconfirmed sign-up only claimed the address; Alice proves it. The proof wins, and the account that
    claimed it keeps neither the address nor any way in: not its password, token or session."""
    squatters_browser, squatter = squatter_signs_up(SQUATTED)
    _, secret = api_token_issue(user=squatter, name="kept from before the rule")
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": SQUATTED})
    confirm_with_code(client, mailoutbox[-1])

    alice.refresh_from_db()
    assert alice.email == SQUATTED
    assert list(EmailAddress.objects.filter(email=SQUATTED).values_list("user", "verified", "primary")) == [
        (alice.pk, True, True)
    ]
    squatter.refresh_from_db()
    assert squatter.email != SQUATTED and not squatter.is_active and not squatter.has_usable_password()
    assert ApiToken.objects.get(user=squatter).revoked_at is not None
    assert Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert "_auth_user_id" not in squatters_browser.session
    signed_in_again = Client()
    signed_in_again.post(reverse("account_login"), {"login": SQUATTED, "password": SQUATTERS_PASSWORD})
    assert "_auth_user_id" not in signed_in_again.session
    assert signed_in(alice).session["_auth_user_id"] == str(alice.pk)  # her password signs her in with it


def test_the_squatters_own_code_is_dead_once_the_owner_took_the_address(alice, mailoutbox):
    """The squatter's browser still shows the code page of its sign-up; even with the code (the owner's mail), it
    gets the address back no more than a way in."""
    squatters_browser, _ = squatter_signs_up(SQUATTED)
    squatters_mail = mailoutbox[-1]
    client = signed_in(alice)
    client.post(reverse("account_email"), {"action_add": "", "email": SQUATTED})
    confirm_with_code(client, mailoutbox[-1])

    confirm_with_code(squatters_browser, squatters_mail)

    assert list(EmailAddress.objects.filter(email=SQUATTED).values_list("user", "verified")) == [(alice.pk, True)]
    assert "_auth_user_id" not in squatters_browser.session


def test_an_address_another_account_has_proven_is_still_not_taken_by_a_confirmation(alice, mallory, mailoutbox):
    """Mallory's address is proven: no confirmation mail Alice gets hold of makes it hers."""
    client = signed_in(alice)
    client.post(reverse("account_email"), {"action_add": "", "email": mallory.email})
    [mail] = mails_to(mailoutbox, mallory.email)

    confirm_with_code(client, mail)

    alice.refresh_from_db()
    mallory.refresh_from_db()
    assert alice.email == "alice@example.com" and mallory.email == "mallory@example.com" and mallory.is_active
    assert EmailAddress.objects.get(user=mallory).verified


def test_an_address_whose_guest_tickets_have_an_account_nobody_signed_up_to_is_not_taken_by_a_change(alice, mailoutbox):
    """Tickets filed under the address by a guest (or by mail) made an account nobody chose a password for: it is
    the address's, not a claim, and its owner takes it by setting its password from a reset link. A change confirmed
    elsewhere leaves it alone rather than leave its tickets behind on an account that lost its address."""
    guest = user_create(email=SQUATTED, password=None, email_verified=False)  # as a public form makes it
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": SQUATTED})
    confirm_with_code(client, mailoutbox[-1])

    alice.refresh_from_db()
    guest.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert guest.email == SQUATTED and guest.is_active


def test_a_sign_up_holding_tickets_filed_under_the_address_is_not_taken_by_a_change(alice, category, mailoutbox):
    """The unconfirmed sign-up has tickets under the address (written in by mail, say, perhaps by the owner): they
    are not left on an account that lost its address. The owner takes that account with a reset link instead."""
    _, squatter = squatter_signs_up(SQUATTED)
    alices_ticket(squatter, category)  # filed under the address
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": SQUATTED})
    confirm_with_code(client, mailoutbox[-1])

    alice.refresh_from_db()
    squatter.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert squatter.email == SQUATTED and squatter.is_active


def test_a_sign_up_that_took_the_forfeited_address_first_does_not_keep_the_owner_from_proving_theirs(alice, mailoutbox):
    """An account may hold an address at helpdesk.invalid (made before sign-up refused them): the one the squatter's
    account is renamed to must not be one taken first, or the owner's confirmation would end in a 500, the claim
    intact."""
    _, squatter = squatter_signs_up(SQUATTED)
    for guess in range(squatter.pk, squatter.pk + 3):
        # No door takes a .invalid address now (accounts.selectors.address_reserved): an account made before that
        user_create(email=f"forfeited-{guess}@helpdesk.invalid", password="x-long-passphrase-1", email_verified=False)
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": SQUATTED})
    response = confirm_with_code(client, mailoutbox[-1])

    assert response.status_code == 302
    alice.refresh_from_db()
    squatter.refresh_from_db()
    assert alice.email == SQUATTED
    assert squatter.email != SQUATTED and not squatter.is_active


def test_proving_an_address_that_differs_by_a_dotless_i_takes_nothing_from_the_account_of_the_other(alice, mailoutbox):
    """`ma\u0131l.example` is a domain of its own (whoever registers it reads its mail); PostgreSQL's case-insensitive
    match takes it for `mail.example`. Proving it must not cost the sign-up of mona@mail.example its account."""
    _, pending = squatter_signs_up("mona@mail.example")
    client = signed_in(alice)

    client.post(reverse("account_email"), {"action_add": "", "email": "mona@ma\u0131l.example"})
    confirm_with_code(client, mailoutbox[-1])

    alice.refresh_from_db()
    pending.refresh_from_db()
    assert alice.email == "mona@ma\u0131l.example"
    assert pending.email == "mona@mail.example" and pending.is_active and pending.has_usable_password()


def test_a_deactivated_account_at_an_address_that_differs_by_a_dotless_i_does_not_turn_away_the_other(
    alice, carol, mailoutbox
):
    """PostgreSQL's case-insensitive match takes `mona@ma\u0131l.example` for `mona@mail.example`. Alice proved the
    one beside Mona's account at the other (a domain of her own); once an admin deactivates Alice, the doors that
    turn away a deactivated account's address must not turn Mona away with it."""
    mona = user_create(email="mona@mail.example", password=PASSWORD)
    client = signed_in(alice)
    client.post(reverse("account_email"), {"action_add": "", "email": "mona@ma\u0131l.example"})
    confirm_with_code(client, mailoutbox[0])
    alice.refresh_from_db()
    user_update(user=alice, actor=carol, is_active=False)

    assert public_requester_for(email="mona@mail.example") == mona


def test_an_address_that_differs_by_a_dotless_i_from_one_an_account_proved_finds_not_that_account(alice, mailoutbox):
    """Alice proved `mona@ma\u0131l.example` (a domain of her own). Mona, with no account yet, writing in or using a
    public form as `mona@mail.example` must get an account of her own, not have her ticket filed under Alice's and
    its replies mailed to Alice."""
    client = signed_in(alice)
    client.post(reverse("account_email"), {"action_add": "", "email": "mona@ma\u0131l.example"})
    confirm_with_code(client, mailoutbox[0])

    mona = public_requester_for(email="mona@mail.example")

    assert mona.pk != alice.pk and mona.email == "mona@mail.example"


def test_the_mail_saying_the_address_changed_tells_its_time_in_the_owners_zone(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    """The mail waits for the commit, when the request (and its zone) may be over: it still tells Alice's own time."""
    User.objects.filter(pk=alice.pk).update(time_zone="Pacific/Pago_Pago")  # UTC-11
    with time_machine.travel(datetime(2026, 5, 4, 9, 30, tzinfo=UTC), tick=False):
        browser = signed_in(alice)
        browser.post(reverse("account_email"), {"action_add": "", "email": "alice@new.example"})
        [confirmation] = mails_to(mailoutbox, "alice@new.example")
        with django_capture_on_commit_callbacks(execute=True):
            confirm_with_code(browser, confirmation)

    [changed] = mails_to(mailoutbox, "alice@example.com")
    assert "Date: May 3, 2026, 10:30 p.m." in changed.body
