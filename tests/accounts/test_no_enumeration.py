"""Nobody learns from our pages whether an address has an account: only its owner's inbox knows.

allauth 65 with ACCOUNT_PREVENT_ENUMERATION: the password reset answers alike for every address and mails a reset
link only to an account's owner (an unknown address gets a "no account here" mail, without a link); signing up with
a taken address looks like any sign-up and mails the owner instead of creating a second account.
"""

from __future__ import annotations

from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD
from tests.support.html import elements, shown_text

RESET_LINK_PATH = "/accounts/password/reset/key/"


def page_text(html: str) -> str:
    """What the page says in its main part, minus the CSRF token, which differs on every response."""
    start, end = html.index("<main"), html.index("</main>")
    main = html[start:end]
    tokens = [attrs["value"] for tag, attrs in elements(main) if attrs.get("name") == "csrfmiddlewaretoken"]
    text = " ".join(shown_text(main).split())
    for token in tokens:
        text = text.replace(token, "")
    return text


def request_reset(email: str) -> object:
    return Client().post(reverse("account_reset_password"), {"email": email}, follow=True)


def sign_up(email: str) -> object:
    data = {"email": email, "password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"}
    return Client().post(reverse("account_signup"), data, follow=True)


def test_password_reset_answers_alike_for_a_known_and_an_unknown_address(alice):
    known = request_reset("alice@example.com")
    unknown = request_reset("nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    assert page_text(known.content.decode()) == page_text(unknown.content.decode())
    assert "nobody@example.com" not in known.content.decode() + unknown.content.decode()


def test_password_reset_mails_a_reset_link_to_the_owner_of_a_known_address(alice):
    request_reset("alice@example.com")

    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert RESET_LINK_PATH in message.body


def test_password_reset_for_an_unknown_address_mails_no_reset_link(db):
    request_reset("nobody@example.com")

    # allauth tells the address's owner that it has no account here (ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS), without a link.
    [message] = mail.outbox
    assert message.to == ["nobody@example.com"]
    assert RESET_LINK_PATH not in message.body
    assert "do not have any record of such an account" in message.body


def test_signing_up_with_a_taken_address_looks_like_any_sign_up(alice):
    taken = sign_up("alice@example.com")
    fresh = sign_up("newcomer@example.com")

    assert taken.status_code == fresh.status_code == 200
    assert taken.redirect_chain == fresh.redirect_chain == [(reverse("account_email_verification_sent"), 302)]
    taken_text = page_text(taken.content.decode()).replace("alice@example.com", "ADDRESS")
    assert taken_text == page_text(fresh.content.decode()).replace("newcomer@example.com", "ADDRESS")
    assert "already" not in taken_text.lower()


def test_signing_up_with_a_taken_address_creates_no_account_and_tells_the_owner(alice):
    response = sign_up("alice@example.com")

    assert response.status_code == 200
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert User.objects.get(email="alice@example.com").check_password(PASSWORD)
    assert "_auth_user_id" not in response.client.session
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Account Already Exists" in message.subject
    assert "/accounts/password/reset/" in message.body


def test_signing_up_with_a_taken_address_in_other_letter_case_tells_the_owner_too(alice):
    sign_up("ALICE@Example.com")

    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    assert [message.subject for message in mail.outbox] == ["[Helpdesk] Account Already Exists"]


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer_at_login(alice):
    wrong = Client().post(reverse("account_login"), {"login": "alice@example.com", "password": "not-it"})
    unknown = Client().post(reverse("account_login"), {"login": "nobody@example.com", "password": "not-it"})

    assert wrong.status_code == unknown.status_code == 200
    wrong_text = page_text(wrong.content.decode()).replace("alice@example.com", "ADDRESS")
    unknown_text = page_text(unknown.content.decode()).replace("nobody@example.com", "ADDRESS")
    assert wrong_text == unknown_text
