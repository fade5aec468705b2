"""Two accounts confirm the same address at the same moment, neither having proven it before: the unique index on
verified addresses lets one have it, and the other is told that another account confirmed it (not a 500).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL. A confirmation of an address another account has
already proven, on either database, is in test_email_and_password_change.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse

from accounts.models import User
from tests.support.confirmation_mail import confirm_with_code
from tests.support.servers import wait_until
from tests.support.sessions import sign_in
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock

pytestmark = parallel_on_postgresql("real unique-index waits and parallel connections")

ADDRESS = "shared@new.example"


@pytest.fixture
def confirmation_mails_not_limited(settings) -> None:
    # allauth mails one code per address every 10 s: both ask for the same one within that.
    settings.ACCOUNT_RATE_LIMITS = {"confirm_email": None}


def confirmation_of_change(user: User, mailoutbox: list) -> Callable[..., HttpResponse]:
    """`user`'s browser asks on their Email page to change to ADDRESS; typing in the mailed code, once called,
    confirms it."""
    browser = sign_in(user)
    browser.post(reverse("account_email"), {"action_add": "", "email": ADDRESS})
    mail = mailoutbox[-1]
    return lambda **kwargs: confirm_with_code(browser, mail, **kwargs)


def test_the_second_of_two_confirmations_of_one_address_at_once_is_told_another_account_has_it(
    alice, mallory, mailoutbox, confirmation_mails_not_limited
):
    alices_confirmation = confirmation_of_change(alice, mailoutbox)
    mallorys_confirmation = confirmation_of_change(mallory, mailoutbox)
    alice_confirmed, mallory_done = threading.Event(), threading.Event()

    def alice_confirms() -> object:
        # Her confirmation stays uncommitted until Mallory's has finished or waits on the unique index for it.
        with transaction.atomic():
            response = alices_confirmation()
            alice_confirmed.set()
            wait_until(
                lambda: mallory_done.is_set() or someone_waits_for_a_lock(),
                timeout=10,
                what="Mallory's confirmation to finish or to wait for Alice's",
            )
        return response

    def mallory_confirms() -> object:
        assert alice_confirmed.wait(timeout=10)
        try:
            return mallorys_confirmation(follow=True)
        finally:
            mallory_done.set()

    alices, mallorys = run_together([alice_confirms, mallory_confirms])

    assert alices.status_code == 302
    assert mallorys.status_code == 200
    assert f"Unable to confirm {ADDRESS} because it is already confirmed by a different account." in (
        mallorys.content.decode()
    )
    alice.refresh_from_db()
    mallory.refresh_from_db()
    assert alice.email == ADDRESS
    assert mallory.email == "mallory@example.com"
    rows = EmailAddress.objects.filter(email=ADDRESS).values_list("user", "verified", "primary")
    assert list(rows) == [(alice.pk, True, True)]  # Mallory's change has no row: it waited in her session
    assert EmailAddress.objects.get(user=mallory, email="mallory@example.com").primary
