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
from sla_data import sla_seed_postgres  # noqa: E402  (bench/ is on the path)

from accounts.models import User  # noqa: E402
from sla.models import Metric, SlaClock  # noqa: E402
from sla.services import sla_sweep  # noqa: E402
from tickets.models import Ticket  # noqa: E402

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


def main() -> None:
    call_command("migrate", verbosity=0)
    now = timezone.now()
    if not Ticket.objects.exists():
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            sla_seed_postgres(now=now, tickets=TICKETS, due=DUE)
        else:
            seed(now)
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
