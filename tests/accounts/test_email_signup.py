"""Sign-up with email and password: the address is confirmed by mail before the first sign-in, as a requester."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import user_create
from tests.conftest import PASSWORD
from tests.support.confirmation_mail import CODE, confirm_with_code, recipient_does_what_the_mail_says
from tests.support.sessions import sign_in


def sign_up(client: Client, email: str = "newcomer@example.com"):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_sign_up_creates_a_requester_and_mails_a_confirmation_code(db, mailoutbox):
    client = Client()

    response = sign_up(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    newcomer = User.objects.get(email="newcomer@example.com")
    assert newcomer.role == Role.REQUESTER
    assert not EmailAddress.objects.get(user=newcomer).verified
    assert "_auth_user_id" not in client.session
    assert [message.to for message in mailoutbox] == [["newcomer@example.com"]]
    assert mailoutbox[0].subject.startswith("[Helpdesk] ")
    assert mailoutbox[0].body.startswith("Hello from the Helpdesk at testserver!")
    assert "http://" not in mailoutbox[0].body  # a code, for this browser only; no link that works in any


def test_an_unconfirmed_address_cannot_sign_in_yet(db, mailoutbox):
    sign_up(Client())
    client = Client()

    client.post(reverse("account_login"), {"login": "newcomer@example.com", "password": PASSWORD})

    assert "_auth_user_id" not in client.session


def test_confirming_the_address_signs_the_newcomer_in_to_their_tickets(db, mailoutbox):
    client = Client()
    sign_up(client)

    assert client.get(reverse("account_email_verification_sent")).status_code == 200  # the page asking for the code
    assert not EmailAddress.objects.get(email="newcomer@example.com").verified
    response = confirm_with_code(client, mailoutbox[0], follow=True)

    assert EmailAddress.objects.get(email="newcomer@example.com").verified
    assert client.session["_auth_user_id"] == str(User.objects.get(email="newcomer@example.com").pk)
    assert response.redirect_chain[-1][0] == reverse("ticket_list")


def test_the_code_typed_in_another_browser_confirms_nothing(db, mailoutbox):
    sign_up(Client())

    response = confirm_with_code(Client(), mailoutbox[0])

    assert response.url == reverse("account_login")
    assert not EmailAddress.objects.get(email="newcomer@example.com").verified


def test_a_wrong_code_three_times_ends_the_confirmation(db, mailoutbox):
    client = Client()
    sign_up(client)

    for _ in range(3):
        response = client.post(reverse("account_email_verification_sent"), {"code": "BBBB-BBBB"})

    assert response.url == reverse("account_login")
    confirm_with_code(client, mailoutbox[0])
    assert not EmailAddress.objects.get(email="newcomer@example.com").verified


def test_an_address_another_account_only_asked_to_change_to_can_still_sign_up(mallory, mailoutbox, settings):
    """Anyone may type anyone's address on their own Email page; until it is confirmed it is nobody's, and must not
    keep its owner from signing up."""
    # allauth mails one confirmation per address every three minutes: the newcomer signs up after that.
    settings.ACCOUNT_RATE_LIMITS = {"confirm_email": None}
    sign_in(mallory).post(reverse("account_email"), {"action_add": "", "email": "newcomer@example.com"})
    mailoutbox.clear()  # the confirmation mail of Mallory's change, which the newcomer ignores
    client = Client()

    sign_up(client)
    [message] = mailoutbox
    confirm_with_code(client, message)

    newcomer = User.objects.get(email="newcomer@example.com")
    assert client.session["_auth_user_id"] == str(newcomer.pk)
    assert EmailAddress.objects.get(user=newcomer).verified
    assert not EmailAddress.objects.filter(user=mallory, email="newcomer@example.com", verified=True).exists()


def test_the_other_accounts_confirmation_mail_followed_after_signing_up_leaves_the_address_to_the_newcomer(
    mallory, mailoutbox, settings
):
    """Both confirmation mails reach the address's owner; Mallory's change, done as its mail says in the owner's
    browser, confirms nothing."""
    settings.ACCOUNT_RATE_LIMITS = {"confirm_email": None}
    sign_in(mallory).post(reverse("account_email"), {"action_add": "", "email": "newcomer@example.com"})
    [mallorys_change] = mailoutbox
    sign_up(Client())

    recipient_does_what_the_mail_says(Client(), mallorys_change)

    mallory.refresh_from_db()
    assert mallory.email != "newcomer@example.com"
    assert not EmailAddress.objects.filter(user=mallory, email="newcomer@example.com", verified=True).exists()
    assert User.objects.get(email="newcomer@example.com").pk != mallory.pk


def test_an_address_that_differs_by_a_dotless_i_from_an_accounts_does_not_count_as_taken(mallory, mailoutbox):
    """PostgreSQL's case-insensitive match takes `mona@ma\u0131l.example` (a domain of its own) for
    `mona@mail.example`. Mallory only asked to change to Mona's address, so it is nobody's yet: the account at the
    lookalike must not keep Mona from signing up (accounts.models.with_this_address)."""
    user_create(email="mona@ma\u0131l.example", password=PASSWORD)
    EmailAddress.objects.create(user=mallory, email="mona@mail.example", verified=False)
    client = Client()

    sign_up(client, "mona@mail.example")
    confirm_with_code(client, mailoutbox[-1])

    mona = User.objects.get(email="mona@mail.example")
    assert client.session["_auth_user_id"] == str(mona.pk)


def test_an_address_an_account_holds_in_other_letter_case_counts_as_taken(db, mailoutbox):
    mona = user_create(email="mona@mail.example", password=PASSWORD)

    sign_up(Client(), "MONA@Mail.example")

    assert list(User.objects.filter(email__iexact="mona@mail.example")) == [mona]
    [message] = mailoutbox
    assert message.to == ["mona@mail.example"] and not CODE.search(message.body)


def test_a_weak_password_is_refused_with_a_message(db):
    response = Client().post(
        reverse("account_signup"), {"email": "weak@example.com", "password1": "123456", "password2": "123456"}
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(email="weak@example.com").exists()


def test_sign_up_can_be_closed_by_the_operator(db, settings):
    settings.ACCOUNT_SIGNUP_OPEN = False

    response = sign_up(Client())

    assert "Sign Up Closed" in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_an_address_at_an_invalid_domain_is_refused_with_a_message(db):
    """The helpdesk's own accounts have such addresses (the automations' actor): one signed up first would stand in."""
    response = sign_up(Client(), "automation@helpdesk.invalid")

    assert response.status_code == 200
    assert "Addresses at .invalid domains take no mail" in response.content.decode()
    assert not User.objects.filter(email="automation@helpdesk.invalid").exists()


def test_a_lookalike_of_an_invalid_domain_is_refused_with_a_message(db):
    """A dotless i (PostgreSQL's UPPER() takes it for an i), fullwidth letters (IDNA maps them to plain ones),
    Cyrillic and Greek letters that read as Latin ones, Latin small capitals, or accented letters."""
    for address in (
        "automation@helpdesk.\u0131nvalid",
        "automation@helpdesk.\uff49\uff4e\uff56\uff41\uff4c\uff49\uff44",
        "automation@helpdesk.\u0456nvalid",  # a Cyrillic i (U+0456) among Latin letters
        "automation@helpdesk.\u0456\u043f\u0475\u0430\u04cf\u0456\u0501",  # Cyrillic letters alone
        "automation@helpdesk.\u03b9nv\u03b1lid",  # Greek iota and alpha among Latin letters
        "automation@helpdesk.\u026anvalid",  # a Latin small capital I: one alphabet, still reads as invalid
        "automation@helpdesk.\u026a\u0274\u1d20\u1d00\u029f\u026a\u1d05",  # Latin small capitals alone
        "automation@helpdesk.inval\u00edd",  # an accented i (NFKC keeps it)
        "automation@helpdesk.i\u0308nvalid",  # an i with a combining diaeresis
    ):
        response = sign_up(Client(), address)

        assert response.status_code == 200
        assert "Addresses at .invalid domains take no mail" in response.content.decode()
    assert not User.objects.exists()


def test_a_lookalike_domain_written_as_punycode_is_refused_with_a_message(db):
    """An A-label is the same domain as the letters it encodes, and mail clients show it as them: `xn--nvalid-ovf`
    is `\u0456nvalid` with a Cyrillic i, `xn--example-j06c` a Latin label with a zero-width joiner."""
    for address in (
        "automation@helpdesk.xn--nvalid-ovf",
        "automation@helpdesk.XN--NVALID-OVF",
        "automation@helpdesk.xn--80a3a6dc7mqv5k",  # Cyrillic letters alone
        "newcomer@xn--example-j06c.com",
    ):
        response = sign_up(Client(), address)

        assert response.status_code == 200
        assert "Addresses at .invalid domains take no mail" in response.content.decode()
    assert not User.objects.exists()


def test_a_top_level_domain_mixing_latin_with_letters_of_another_alphabet_is_refused_with_a_message(db):
    """Lookalikes of Latin letters are not only Cyrillic and Greek: no real top-level domain mixes Latin letters
    with any other alphabet's."""
    for address in (
        "automation@helpdesk.\u2c93nvalid",  # a Coptic iauda for the i
        "automation@helpdesk.\u13a5nvalid",  # a Cherokee v for the i
        "newcomer@example.c\u0585m",  # an Armenian oh for the o
    ):
        response = sign_up(Client(), address)

        assert response.status_code == 200
        assert "a top-level domain mixing alphabets" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("address", ["user@example.verm\u00f6gensberater", "user@example.\u30b3\u30e0"])
def test_an_address_at_a_top_level_domain_of_one_alphabet_signs_up(db, mailoutbox, address):
    """`.vermögensberater` is Latin letters alone, `.コム` Katakana alone."""
    response = sign_up(Client(), address)

    assert response.status_code == 302
    assert User.objects.get(email=address).role == Role.REQUESTER


def test_an_address_at_a_cyrillic_top_level_domain_written_as_punycode_signs_up(db, mailoutbox):
    response = sign_up(Client(), "user@xn--e1afmkfd.xn--p1ai")  # пример.рф

    assert response.status_code == 302
    assert User.objects.get(email="user@xn--e1afmkfd.xn--p1ai").role == Role.REQUESTER


def test_an_internationalised_domain_needing_a_zero_width_non_joiner_signs_up(db, mailoutbox):
    """Persian writes some words with a ZWNJ, which IDNA2008 allows in a domain (CONTEXTJ): no lookalike of one
    without it, as a zero-width space would be."""
    address = "user@\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.ir"

    response = sign_up(Client(), address)

    assert response.status_code == 302
    assert User.objects.get(email=address).role == Role.REQUESTER


def test_a_domain_with_a_joiner_idna_refuses_is_refused_with_a_message(db):
    """A ZWJ in a Latin label, or a zero-width space where Persian has its ZWNJ: IDNA leaves such a domain out."""
    for address in ("newcomer@exa\u200dmple.com", "user@\u0645\u06cc\u200b\u062e\u0648\u0627\u0647\u0645.ir"):
        response = sign_up(Client(), address)

        assert response.status_code == 200
        assert "nor do addresses with invisible characters" in response.content.decode()
    assert not User.objects.exists()
