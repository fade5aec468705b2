"""Account pre-hijack: an attacker signs up with the victim's address and never confirms it, keeping a token.

The attacker gets nothing while the address is unproven (not even the tickets the victim files as a guest under
it). The confirmation mail the victim gets carries a code that works only in the attacker's browser, so the victim
cannot prove the address for the attacker; when the real owner proves it (password reset, an admin), every password,
token, session, second factor and connected account the attacker had is void.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.services import AccountDeactivated, api_token_issue, user_address_first_proven
from tests.conftest import PASSWORD
from tests.forms_builder.examples import bug_report_form
from tests.forms_builder.pages_support import answers, fill_url
from tests.support.api import assert_error_body
from tests.support.confirmation_mail import confirm_with_code, recipient_does_what_the_mail_says
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to

VICTIM = "victim@example.com"
ATTACKERS_PASSWORD = "attackers-own-passphrase-1"
OWNERS_PASSWORD = "owners-own-passphrase-22"


def sign_in(email: str, password: str) -> Client:
    client = Client()
    client.post(reverse("account_login"), {"login": email, "password": password})
    return client


@pytest.fixture
def attacker(db, mailoutbox) -> tuple[Client, User, str]:
    """The attacker's browser (which signed up with the victim's address), the account, and a token it kept."""
    browser = Client()
    browser.post(
        reverse("account_signup"),
        {"email": VICTIM, "password1": ATTACKERS_PASSWORD, "password2": ATTACKERS_PASSWORD},
    )
    account = User.objects.get(email=VICTIM)
    _, secret = api_token_issue(user=account, name="kept from before the rule")  # as the outside run got one
    Authenticator.objects.create(user=account, type=Authenticator.Type.RECOVERY_CODES, data={})
    SocialAccount.objects.create(user=account, provider="github", uid="attacker-github")
    return browser, account, secret


@pytest.fixture
def public_form(category, carol):
    return bug_report_form(category=category, admin=carol, public=True)


def victim_files_a_guest_ticket(form) -> Ticket:
    data = {**answers(product="web", summary="My salary slip is wrong"), "requester-email": VICTIM}
    assert Client().post(fill_url(form), data).status_code == 200
    return Ticket.objects.get(subject__contains="salary slip")


def mail_link(message, pattern: str) -> str:
    return re.search(rf"http://testserver({pattern})", message.body).group(1)


def test_the_attacker_cannot_read_the_ticket_the_victim_files_as_a_guest(attacker, public_form):
    _, account, secret = attacker
    ticket = victim_files_a_guest_ticket(public_form)
    assert ticket.requester == account  # filed under the address, which is the attacker's unproven account

    response = Client().get("/api/v1/tickets/?q=salary", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert_error_body(response, 403, "email_unverified")
    assert not tickets_visible_to(User.objects.get(pk=account.pk)).exists()  # the data layer says no as well


def test_a_password_reset_by_the_owner_voids_everything_the_attacker_had(attacker, public_form, mailoutbox):
    _, account, secret = attacker
    victim_files_a_guest_ticket(public_form)

    owner = Client()
    owner.post(reverse("account_reset_password"), {"email": VICTIM})
    link = mail_link(mailoutbox[-1], r"/accounts/password/reset/key/[^\s]+/")
    owner.post(owner.get(link).url, {"password1": OWNERS_PASSWORD, "password2": OWNERS_PASSWORD})

    assert EmailAddress.objects.get(email=VICTIM).verified
    assert_error_body(
        Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401, "authentication_failed"
    )
    assert "_auth_user_id" not in sign_in(VICTIM, ATTACKERS_PASSWORD).session
    assert not Authenticator.objects.filter(user=account).exists()
    assert not SocialAccount.objects.filter(user=account).exists()
    owners_browser = sign_in(VICTIM, OWNERS_PASSWORD)
    assert "salary slip" in owners_browser.get(reverse("ticket_list")).content.decode()


def test_the_owner_doing_what_the_confirmation_mail_says_gives_the_attacker_nothing(attacker, public_form, mailoutbox):
    """The victim gets our genuine mail about the attacker's sign-up and does what it says, in their own browser.
    The attacker must not then sign in with the password they chose and find a proven account holding the victim's
    tickets."""
    [mail] = mailoutbox

    recipient_does_what_the_mail_says(Client(), mail)
    victim_files_a_guest_ticket(public_form)

    assert not EmailAddress.objects.get(email=VICTIM).verified  # the code works only in the attacker's browser
    attackers_browser = sign_in(VICTIM, ATTACKERS_PASSWORD)
    assert "_auth_user_id" not in attackers_browser.session
    assert "salary slip" not in attackers_browser.get(reverse("ticket_list")).content.decode()
    token = Client().post(
        "/api/v1/auth/token", {"email": VICTIM, "password": ATTACKERS_PASSWORD}, content_type="application/json"
    )
    assert_error_body(token, 403, "email_unverified")


def test_confirming_in_the_browser_that_signed_up_keeps_that_password(db, mailoutbox):
    browser = Client()
    browser.post(reverse("account_signup"), {"email": VICTIM, "password1": PASSWORD, "password2": PASSWORD})

    confirm_with_code(browser, mailoutbox[0])

    assert browser.session["_auth_user_id"] == str(User.objects.get(email=VICTIM).pk)
    assert "_auth_user_id" in sign_in(VICTIM, PASSWORD).session


def test_an_admin_marking_the_address_verified_voids_what_the_attacker_had(attacker, carol, client_for):
    """The owner asks support to confirm their address. The admin vouches for the address, not for the password
    someone chose with it: allauth's "Mark as verified" action proved it and left the attacker signed in."""
    _, account, _ = attacker
    address = EmailAddress.objects.get(email=VICTIM)

    response = client_for(carol).post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "index": "0", "_selected_action": [address.pk]},
    )

    assert response.status_code == 302
    assert EmailAddress.objects.get(email=VICTIM).verified
    account.refresh_from_db()
    assert not account.has_usable_password()
    assert "_auth_user_id" not in sign_in(VICTIM, ATTACKERS_PASSWORD).session
    assert ApiToken.objects.get(user=account).revoked_at is not None


def test_an_admin_ticking_verified_on_the_address_page_voids_what_the_attacker_had(attacker, carol, client_for):
    _, account, _ = attacker
    address = EmailAddress.objects.get(email=VICTIM)

    response = client_for(carol).post(
        reverse("admin:account_emailaddress_change", args=[address.pk]),
        {"user": account.pk, "email": VICTIM, "verified": "on", "primary": "on"},
    )

    assert response.status_code == 302
    assert EmailAddress.objects.get(email=VICTIM).verified
    assert "_auth_user_id" not in sign_in(VICTIM, ATTACKERS_PASSWORD).session


def test_a_token_asked_for_with_the_attackers_password_as_the_owner_proves_the_address_is_refused(attacker):
    """The attacker's request checked the password before the owner's proof committed; the issue, waiting for the
    account's lock, then finds the password it was given voided and gives no token that would outlive the proof."""
    _, account, _ = attacker
    authenticated = User.objects.get(pk=account.pk)  # as the token request read it, password and all
    user_address_first_proven(user=account, keep_password=False)

    with pytest.raises(AccountDeactivated):
        api_token_issue(user=authenticated, name="issued as the proof ended the others")

    assert not ApiToken.objects.filter(user=account, revoked_at__isnull=True).exists()
