"""Mail from an address processed while its owner proves it (accounts.services.email_address_claim) takes the
account an unproven sign-up held from it: the mail's ticket never stays on the account that loses the address, where
nobody could reach it (a `.invalid` address, deactivated).

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading

from django.db import transaction

from accounts import services as account_services
from accounts.models import User
from accounts.services import email_address_claim, user_create
from inbound.models import InboundMessage, InboundStatus, Source
from inbound.services import inbound_store
from inbound.services import store as inbound_store_module
from inbound.tasks import inbound_process_message
from tests.conftest import PASSWORD
from tests.inbound.messages import mail
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.models import Ticket

pytestmark = parallel_on_postgresql("real row locks and parallel connections")

ADDRESS = "dana@example.org"


def test_a_mail_processed_while_the_owner_proves_the_address_is_not_filed_on_the_forfeited_account(monkeypatch):
    squatter = user_create(email=ADDRESS, password=PASSWORD, email_verified=False)  # signed up, never confirmed
    monkeypatch.setattr(inbound_store_module, "queue_processing", lambda message_id: None)  # the thread runs it
    stored = inbound_store(raw=mail(sender=ADDRESS, subject="Invoice"), source=Source.PIPE).message
    claim_holds_the_account = threading.Event()
    forfeit = account_services._unproven_claim_forfeit

    def forfeit_once_the_mail_waits(**kwargs: object) -> None:
        # The claim found the sign-up holding no ticket; the mail, read before the claim commits, comes in now.
        claim_holds_the_account.set()
        wait_until(someone_waits_for_a_lock, timeout=10, what="the mail waiting for the account")
        forfeit(**kwargs)

    monkeypatch.setattr(account_services, "_unproven_claim_forfeit", forfeit_once_the_mail_waits)

    def owner_signs_up_through_a_provider_vouching_for_the_address() -> User:
        with transaction.atomic():
            email_address_claim(email=ADDRESS)
            return user_create(email=ADDRESS, password=None, email_verified=True)

    def the_worker_processes_the_mail() -> None:
        assert claim_holds_the_account.wait(timeout=10)
        inbound_process_message(stored.pk)

    owner, _ = run_together([owner_signs_up_through_a_provider_vouching_for_the_address, the_worker_processes_the_mail])

    squatter.refresh_from_db()
    assert not squatter.is_active and squatter.email.endswith("@helpdesk.invalid")
    assert not Ticket.objects.filter(requester=squatter).exists()
    stored.refresh_from_db()
    assert stored.status == InboundStatus.PROCESSED, stored.detail
    assert stored.ticket.requester == owner
    assert InboundMessage.objects.count() == 1
