"""The queue's unassigned work is read from an index of its own on PostgreSQL (the plans at 1M tickets are in
bench/README.md): without it the planner ANDs the status index with every unassigned ticket in the assignee index
before any LIMIT applies, 25 ms per queue page at 1M."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from tickets.models import Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL plan: set DATABASE_URL to a PostgreSQL database"
)

TICKETS = 20_000


def desk_of_closed_work(requester: User, agent: User) -> None:
    """The bench's shape, smaller: the newest tenth open, the rest closed; a fifth unassigned."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (subject, description, description_html, status, priority, requester_id,
                assignee_id, channel, sender_verified, created_at, updated_at)
            SELECT 'Ticket ' || g, '', '', CASE WHEN g > %(n)s * 0.9 THEN 'open' ELSE 'closed' END, 20, %(requester)s,
                   CASE WHEN g %% 5 = 0 THEN NULL ELSE %(agent)s END, 'web', true,
                   now() - interval '1 hour' * (%(n)s - g), now()
            FROM generate_series(1, %(n)s) g
            """,
            {"n": TICKETS, "requester": requester.pk, "agent": agent.pk},
        )
        cursor.execute("ANALYZE tickets_ticket")


def test_unassigned_open_work_is_read_in_order_from_its_own_index(alice, bob):
    desk_of_closed_work(alice, bob)
    unassigned = Ticket.objects.filter(status="open", assignee__isnull=True)

    page = unassigned.order_by("-created_at", "-id")[:25].explain()

    assert "Index Scan using ticket_unassigned_status" in page and "Sort" not in page


def test_each_line_s_last_message_is_read_from_the_end_of_the_ticket_s_comments(alice, bob):
    from queues.selectors import queue_rows
    from tickets.models import Comment

    desk_of_closed_work(alice, bob)
    newest = list(Ticket.objects.order_by("-id").values_list("pk", flat=True)[:50])
    Comment.objects.bulk_create(
        Comment(ticket_id=pk, author=bob, body=f"Reply {n}", body_html="") for pk in newest for n in range(20)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_comment")

    page = queue_rows(Ticket.objects.filter(status="open")).order_by("-created_at", "-id")[:50].explain()

    # One index entry per line, read backwards, rather than every comment of the ticket sorted.
    assert "Index Scan Backward using comment_ticket_created_id" in page
    assert "Sort Key: u0.created_at DESC" not in page
