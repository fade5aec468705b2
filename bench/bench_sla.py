"""The SLA sweep over many tickets: it must read only the clocks whose warning or due time has come.

`make bench-sla` seeds TICKETS tickets (default 1,000,000; by generate_series on PostgreSQL), each with running
clocks, of which DUE (default 200) are due now, then times one sweep and prints the plan of its one query on the
clocks. SQLite in a temporary folder by default; `BENCH_DATABASE_URL=postgres://...` runs it on a PostgreSQL
database you own (it is migrated and filled; use an empty one).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="helpdesk-bench-")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{os.environ['VAR_DIR']}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Events go to an in-memory broker: the sweep is measured, not the broker or the handlers it hands work to.
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from sla.models import Metric, SlaClock  # noqa: E402
from sla.services import sla_sweep  # noqa: E402
from tickets.models import Channel, Priority, Status, Ticket  # noqa: E402

TICKETS = int(os.environ.get("TICKETS", "1000000"))
DUE = int(os.environ.get("DUE", "200"))
BATCH = 20_000


def seed(now: object) -> None:
    requester = User.objects.create_user("req@bench.test", "x")
    for start in range(0, TICKETS, BATCH):
        size = min(BATCH, TICKETS - start)
        tickets = Ticket.objects.bulk_create(
            Ticket(requester=requester, subject=f"Ticket {start + i}", created_at=now) for i in range(size)
        )
        clocks = []
        for offset, ticket in enumerate(tickets):
            due_now = start + offset < DUE
            due = now - timedelta(minutes=1) if due_now else now + timedelta(hours=1 + (start + offset) % 500)
            for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
                clocks.append(
                    SlaClock(
                        ticket=ticket,
                        metric=metric,
                        target_minutes=240,
                        started_at=now,
                        counted_until=now,
                        due_at=due,
                        warn_at=due,
                        next_check_at=due,
                    )
                )
        SlaClock.objects.bulk_create(clocks)
        print(f"  seeded {start + size:>9,} tickets", end="\r", flush=True)
    print()


def seed_postgres(now: object) -> None:
    """The same rows as `seed`, written by PostgreSQL itself: a minute for a million tickets, not an hour."""
    requester = User.objects.create_user("req@bench.test", "x")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (subject, description, description_html, status, priority, created_at,
                                        updated_at, requester_id, channel, sender_verified)
            SELECT 'Ticket ' || n, '', '', %s, %s, %s, %s, %s, %s, true FROM generate_series(0, %s - 1) AS n
            """,
            [Status.OPEN, Priority.URGENT, now, now, requester.pk, Channel.API, TICKETS],
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
            {"now": now, "first": Metric.FIRST_RESPONSE, "resolution": Metric.RESOLUTION, "due": DUE},
        )


def main() -> None:
    call_command("migrate", verbosity=0)
    now = timezone.now()
    if not Ticket.objects.exists():
        started = time.perf_counter()
        (seed_postgres if connection.vendor == "postgresql" else seed)(now)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE sla_slaclock")
    sweep_query = SlaClock.objects.filter(next_check_at__lte=now).order_by("next_check_at").values_list("pk")[:500]
    print(f"{TICKETS:,} tickets, {SlaClock.objects.count():,} clocks, {2 * DUE} due ({connection.vendor})")
    print("plan of the sweep's read:", sweep_query.explain())
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        checked = sla_sweep(now=now)
        elapsed = time.perf_counter() - started
    print(f"sweep: {checked} clocks checked in {elapsed * 1000:.0f} ms, {len(queries)} queries")
    started = time.perf_counter()
    assert sla_sweep(now=now) == 0
    print(f"second sweep (nothing due): {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
