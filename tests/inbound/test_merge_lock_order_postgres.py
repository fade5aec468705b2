"""Mail following a merge and a merge itself lock tickets in one order, the id's, so neither can deadlock the other.

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading

from django.db import transaction

from inbound.services.tickets import ticket_conversation_continues_on
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together, someone_waits_for_a_lock
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_merge

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def locks_in_id_order(lower: Ticket, higher: Ticket, holding_the_lower: threading.Event, *, waiter: str):
    """Another transaction that takes the lower ticket, waits until `waiter` queues behind it, then takes the higher.

    It deadlocks with `waiter` if `waiter` took the higher ticket first.
    """

    def lock_the_pair() -> None:
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=lower.pk)
            holding_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what=f"{waiter} waiting for the lower ticket")
            Ticket.objects.select_for_update().get(pk=higher.pk)

    return lock_the_pair


def test_mail_following_a_merge_locks_the_tickets_in_id_order_so_it_cannot_deadlock_with_a_merge(alice, bob, category):
    target = ticket_create(requester=alice, subject="Invoice", category=category)
    merged = ticket_create(requester=alice, subject="Invoice, again", category=category)
    ticket_merge(source=merged, target=target, actor=bob)
    assert target.pk < merged.pk
    holding_the_lower = threading.Event()

    def mail_to_the_merged_ticket() -> Ticket:
        assert holding_the_lower.wait(timeout=10)
        with transaction.atomic():
            return ticket_conversation_continues_on(Ticket.objects.get(pk=merged.pk))

    _, continues_on = run_together(
        [locks_in_id_order(target, merged, holding_the_lower, waiter="the mail"), mail_to_the_merged_ticket]
    )

    assert continues_on.pk == target.pk


def test_a_merge_locks_its_two_tickets_in_id_order(alice, bob, category):
    lower = ticket_create(requester=alice, subject="Invoice", category=category)
    higher = ticket_create(requester=alice, subject="Invoice, again", category=category)
    holding_the_lower = threading.Event()

    def merge_the_higher_into_the_lower() -> Ticket:
        assert holding_the_lower.wait(timeout=10)
        return ticket_merge(source=higher, target=lower, actor=bob)

    run_together(
        [locks_in_id_order(lower, higher, holding_the_lower, waiter="the merge"), merge_the_higher_into_the_lower]
    )

    assert Ticket.objects.get(pk=higher.pk).merged_into_id == lower.pk
