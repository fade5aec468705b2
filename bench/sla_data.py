"""bench/bench_sla.py's tickets and clocks on PostgreSQL, written by PostgreSQL itself. Here, not in that script: it
sets Django up on its own database when imported, and tests/helpdesk/test_bench_load_postgres.py loads a few with
this very SQL."""

from __future__ import annotations

from datetime import datetime


def sla_seed_postgres(*, now: datetime, tickets: int, due: int) -> None:
    """`tickets` open tickets with running first-response and resolution clocks, of which the first `due` tickets'
    are due at `now`: the rows of bench_sla.seed, in a minute for a million tickets, not an hour."""
    from django.db import connection

    from accounts.models import User
    from sla.models import Metric
    from tickets.models import Channel, Priority, Status

    requester = User.objects.create_user("req@bench.test", "x")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (subject, description, description_html, status, priority, created_at,
                                        updated_at, requester_id, channel, sender_verified)
            SELECT 'Ticket ' || n, '', '', %s, %s, %s, %s, %s, %s, true FROM generate_series(0, %s - 1) AS n
            """,
            [Status.OPEN, Priority.URGENT, now, now, requester.pk, Channel.API, tickets],
        )
        cursor.execute(
            """
            INSERT INTO sla_slaclock (ticket_id, metric, target_minutes, started_at, elapsed, counted_until, paused,
                                      due_at, warn_at, next_check_at)
            SELECT t.id, m.metric, 240, %(now)s, interval '0', %(now)s, false, due.at, due.at, due.at
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM tickets_ticket) AS t
            CROSS JOIN (VALUES (%(first)s), (%(resolution)s)) AS m(metric)
            CROSS JOIN LATERAL (
                SELECT CASE WHEN t.n < %(due)s THEN %(now)s - interval '1 minute'
                            ELSE %(now)s + (1 + t.n %% 500) * interval '1 hour' END AS at
            ) AS due
            """,
            {"now": now, "first": Metric.FIRST_RESPONSE, "resolution": Metric.RESOLUTION, "due": due},
        )
