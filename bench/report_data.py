"""Report metrics for bench databases filled in SQL: one TicketMetrics row per ticket, from the ticket's own
columns, in one statement (the per-ticket service would take hours on a million), then the daily rollups built
by the service the worker uses. Wall-clock minutes stand in for business minutes; SLA and CSAT figures are
derived from the id, so the page has something to show. The rollups (daily figures, duration distributions, open
counts) come from `rollups_backfill`, the service `manage.py reports_backfill` uses. Used by bench/pg_data.py and
bench/bench_reports.py, whose tickets' SQL is here too: that script sets Django up on its own database when imported,
and tests/helpdesk/test_bench_load_postgres.py loads a few with this very SQL.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

TICKETS_SQL = """
INSERT INTO tickets_ticket (subject, description, description_html, status, priority, category_id, team_id,
    requester_id, assignee_id, channel, sender_verified, created_at, updated_at, first_response_at, resolved_at)
SELECT 'Ticket ' || g, '', '',
    CASE WHEN g > %(solved)s THEN (ARRAY['new', 'open', 'pending'])[1 + g %% 3] ELSE 'resolved' END,
    (ARRAY[10, 20, 20, 30, 40])[1 + g %% 5],
    (%(categories)s)[1 + (g / 7) %% %(n_categories)s],
    (%(teams)s)[1 + (g / 3) %% %(n_teams)s],
    %(requester)s,
    (%(agents)s)[1 + (g / 13) %% %(n_agents)s],
    (ARRAY['web', 'form', 'email', 'api', 'staff'])[1 + g %% 5],
    true,
    created, created,
    created + (5 + g %% 600) * interval '1 minute',
    CASE WHEN g > %(solved)s THEN NULL ELSE created + (60 + (g * 7) %% 5000) * interval '1 minute' END
FROM (
    SELECT g, %(start)s::timestamptz + (g * %(step)s) * interval '1 second' AS created
    FROM generate_series(1, %(tickets)s) AS g
) AS s
"""


def report_tickets_insert(
    cursor: Any,
    *,
    tickets: int,
    open_tickets: int,
    days: int,
    now: datetime,
    requester: Any,
    agents: list[Any],
    teams: list[Any],
    categories: list[Any],
) -> None:
    """bench/bench_reports.py's tickets: `tickets` of them over `days` days up to `now`, the newest `open_tickets`
    still open."""
    cursor.execute(
        TICKETS_SQL,
        {
            "solved": tickets - open_tickets,
            "categories": [c.pk for c in categories],
            "n_categories": len(categories),
            "teams": [t.pk for t in teams],
            "n_teams": len(teams),
            "requester": requester.pk,
            "agents": [a.pk for a in agents],
            "n_agents": len(agents),
            "start": now - timedelta(days=days),
            "step": days * 86400 / tickets,
            "tickets": tickets,
        },
    )


METRICS_SQL = """
INSERT INTO reports_ticketmetrics (ticket_id, created_at, status, priority, channel, team_id, category_id,
    assignee_id, first_response_at, solved_at, solved_by_id, reopen_count, replies, first_response_minutes,
    resolution_minutes, sla_breached, csat_rating, computed_at)
SELECT id, created_at, status, priority, channel, team_id, category_id, assignee_id, first_response_at, solved_at,
    CASE WHEN solved_at IS NULL THEN NULL ELSE assignee_id END,
    CASE WHEN id %% 17 = 0 THEN 1 ELSE 0 END,
    1 + id %% 4,
    GREATEST(EXTRACT(EPOCH FROM first_response_at - created_at)::int / 60, 0),
    GREATEST(EXTRACT(EPOCH FROM solved_at - created_at)::int / 60, 0),
    CASE WHEN id %% 3 = 0 THEN NULL ELSE id %% 11 = 0 END,
    CASE WHEN solved_at IS NULL OR id %% 4 <> 0 THEN '' WHEN id %% 5 = 0 THEN 'bad' ELSE 'good' END,
    now()
FROM (
    SELECT *, CASE WHEN status IN ('resolved', 'closed') THEN COALESCE(resolved_at, closed_at) END AS solved_at
    FROM tickets_ticket
) AS t
"""


def fill_report_metrics(log: Any = print) -> None:
    """Metrics for every ticket, then every day's rollups; nothing when the metrics are there already."""
    from django.db import connection

    from reports.models import AgentDailyRollup, DailyRollup, DurationRollup, OpenTicketCount, TicketMetrics
    from reports.services import rollups_backfill

    if not TicketMetrics.objects.exists():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(METRICS_SQL, {})
            cursor.execute("ANALYZE reports_ticketmetrics")
        log(f"  report metrics of every ticket inserted in {time.perf_counter() - started:.0f} s")
    # A database prepared before the duration rollups and open counts existed has none: rebuilt once, as the
    # upgrade's `reports_backfill --rollups-only` would.
    rolled_up = (model.objects.exists() for model in (DailyRollup, DurationRollup, OpenTicketCount))
    if not all(rolled_up):
        started = time.perf_counter()
        rows = rollups_backfill()
        with connection.cursor() as cursor:
            for model in (DailyRollup, AgentDailyRollup, DurationRollup, OpenTicketCount):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        log(f"  report rollups of every day rebuilt: {rows:,} rows in {time.perf_counter() - started:.0f} s")
