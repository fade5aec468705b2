"""Mail following a merge and a merge itself lock tickets in one order, the id's, so neither can deadlock the other.

Real parallel connections (one per thread): SQLite takes one writer at a time for the whole file and cannot show
this, so it runs only when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import threading

from django.db import connection, transaction

from inbound.services.tickets import ticket_conversation_continues_on
from tests.support.servers import wait_until
from tests.support.threads import parallel_on_postgresql, run_together
from tickets.models import Ticket
from tickets.services import ticket_create, ticket_merge

pytestmark = parallel_on_postgresql("real row locks and parallel connections")


def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction reads the view as it first saw it
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_mail_following_a_merge_locks_the_tickets_in_id_order_so_it_cannot_deadlock_with_a_merge(alice, bob, category):
    target = ticket_create(requester=alice, subject="Invoice", category=category)
    merged = ticket_create(requester=alice, subject="Invoice, again", category=category)
    ticket_merge(source=merged, target=target, actor=bob)
    assert target.pk < merged.pk
    holding_the_lower = threading.Event()

    def another_transaction_locks_the_pair_in_id_order() -> None:
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=target.pk)
            holding_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the mail waiting for the lower ticket")
            Ticket.objects.select_for_update().get(pk=merged.pk)  # a deadlock if the mail holds it already

    def mail_to_the_merged_ticket() -> Ticket:
        assert holding_the_lower.wait(timeout=10)
        with transaction.atomic():
            return ticket_conversation_continues_on(Ticket.objects.get(pk=merged.pk))

    _, continues_on = run_together([another_transaction_locks_the_pair_in_id_order, mail_to_the_merged_ticket])

    assert continues_on.pk == target.pk


def test_a_merge_locks_its_two_tickets_in_id_order(alice, bob, category):
    lower = ticket_create(requester=alice, subject="Invoice", category=category)
    higher = ticket_create(requester=alice, subject="Invoice, again", category=category)
    holding_the_lower = threading.Event()

    def another_transaction_locks_the_pair_in_id_order() -> None:
        with transaction.atomic():
            Ticket.objects.select_for_update().get(pk=lower.pk)
            holding_the_lower.set()
            wait_until(someone_waits_for_a_lock, timeout=10, what="the merge waiting for the lower ticket")
            Ticket.objects.select_for_update().get(pk=higher.pk)  # a deadlock if the merge holds it already

    def merge_the_higher_into_the_lower() -> Ticket:
        assert holding_the_lower.wait(timeout=10)
        return ticket_merge(source=higher, target=lower, actor=bob)

    run_together([another_transaction_locks_the_pair_in_id_order, merge_the_higher_into_the_lower])

    assert Ticket.objects.get(pk=higher.pk).merged_into_id == lower.pk
