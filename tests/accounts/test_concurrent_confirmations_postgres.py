"""Two accounts confirm the same address at the same moment, neither having proven it before: the unique index on
verified addresses lets one have it, and the other is told that another account confirmed it (not a 500).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL. A confirmation of an address another account has
already proven, on either database, is in test_email_and_password_change.py.
"""

from __future__ import annotations

import threading

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock

pytestmark = parallel_on_postgresql("real unique-index waits and parallel connections")

ADDRESS = "shared@new.example"


def confirmation_link(user: User) -> str:
    """The link of the change to ADDRESS that `user` asked for on their Email page."""
    pending = EmailAddress.objects.create(user=user, email=ADDRESS, verified=False)
    return reverse("account_confirm_email", args=[EmailConfirmationHMAC(pending).key])


def test_the_second_of_two_confirmations_of_one_address_at_once_is_told_another_account_has_it(alice, mallory):
    alices_link, mallorys_link = confirmation_link(alice), confirmation_link(mallory)
    alice_confirmed, mallory_done = threading.Event(), threading.Event()

    def alice_confirms() -> object:
        # Her confirmation stays uncommitted until Mallory's has finished or waits on the unique index for it.
        with transaction.atomic():
            response = Client().post(alices_link)
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
            return Client().post(mallorys_link, follow=True)
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
    rows = EmailAddress.objects.filter(email=ADDRESS).order_by("user").values_list("user", "verified", "primary")
    assert list(rows) == sorted([(alice.pk, True, True), (mallory.pk, False, False)])
    assert EmailAddress.objects.get(user=mallory, email="mallory@example.com").primary
