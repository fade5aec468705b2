"""A token asked for at the very moment an admin deactivates the account: the two take turns on the account's row
lock, so the token is either issued first and revoked with the others, or refused. It never outlives the
deactivation.

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL. A deactivated account asking for a token, on either
database, is in test_auth_token.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import transaction
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.services import user_update
from tests.conftest import PASSWORD
from tests.support.api import assert_error_body
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def _admin_deactivating(user: User, actor: User, issued: threading.Event) -> tuple[threading.Event, Callable[[], None]]:
    """The admin's deactivation, left uncommitted until the token's issue has either finished or waits for it; and
    the event set once the account is deactivated (uncommitted)."""
    deactivating = threading.Event()

    def admin_deactivates() -> None:
        with transaction.atomic():
            user_update(user=User.objects.get(pk=user.pk), actor=actor, is_active=False)
            deactivating.set()
            wait_until(
                lambda: issued.is_set() or someone_waits_for_a_lock(),
                timeout=10,
                what="the token's issue to finish or to wait for the account's lock",
            )

    return deactivating, admin_deactivates


def test_a_token_asked_for_while_the_account_is_deactivated_is_refused(api_client_for, bob, carol):
    issued = threading.Event()
    deactivating, admin_deactivates = _admin_deactivating(bob, carol, issued)
    client = api_client_for(None)

    def script_asks_for_a_token() -> object:
        assert deactivating.wait(timeout=10)
        try:
            return client.post("/api/v1/auth/token", {"email": bob.email, "password": PASSWORD}, format="json")
        finally:
            issued.set()

    _, response = run_together([admin_deactivates, script_asks_for_a_token])

    assert_error_body(response, 401, "authentication_failed")
    assert not ApiToken.objects.filter(user=bob, revoked_at__isnull=True).exists()


def test_a_token_created_on_the_page_while_the_account_is_deactivated_is_refused(client_for, bob, carol):
    issued = threading.Event()
    deactivating, admin_deactivates = _admin_deactivating(bob, carol, issued)
    browser = client_for(bob)

    def owner_creates_a_token() -> object:
        assert deactivating.wait(timeout=10)
        try:
            return browser.post(reverse("api_tokens"), {"name": "laptop", "expires": "30"})
        finally:
            issued.set()

    _, response = run_together([admin_deactivates, owner_creates_a_token])

    assert response.status_code == 403
    assert "This account was deactivated" in response.content.decode()
    assert not ApiToken.objects.filter(user=bob, revoked_at__isnull=True).exists()
