"""The reports dashboard on many tickets: the default 30-day page must render with p50 under 300 ms.

`make bench-reports` fills a PostgreSQL database you keep (BENCH_DATABASE_URL, default
postgres://root@127.0.0.1:5432/bench_reports; create it empty once) with TICKETS tickets (default 1,000,000) spread
over DAYS days (default 1095, about 900 a day) and their metrics, in SQL with generate_series; then builds the daily
rollups with the service the worker uses (timed), and renders /staff/reports/ in-process ROUNDS times (default 20)
as an admin, with and without filters, printing p50 and p95. A second run keeps the filled database and only
measures. The replies (comments) are not seeded: the page reads them from the rollups only. Metrics come from
bench/report_data.py (SQL from the tickets' columns: wall-clock minutes stand in for business minutes).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="helpdesk-bench-")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://root@127.0.0.1:5432/bench_reports")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["CELERY_BROKER_URL"] = "memory://"

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from report_data import fill_report_metrics, report_tickets_insert  # noqa: E402  (bench/ is on the path)

from accounts.models import Role, User  # noqa: E402
from reports.models import DailyRollup, TicketMetrics  # noqa: E402
from tickets.models import Category, Team, Ticket  # noqa: E402

TICKETS = int(os.environ.get("TICKETS", "1000000"))
DAYS = int(os.environ.get("DAYS", "1095"))
ROUNDS = int(os.environ.get("ROUNDS", "20"))
AGENTS, TEAMS, CATEGORIES = 20, 5, 10
# The newest OPEN_TICKETS are still open; the others were solved 1 to 85 hours after they came in. Team, category
# and agent vary independently (integer divisions), so the rollups have a row for most of their 1,000 combinations.
OPEN_TICKETS = int(os.environ.get("OPEN_TICKETS", "20000"))


def seed() -> None:
    requester = User.objects.create_user("requester@bench.test", "x", name="Requester")
    admin = User.objects.create_user("admin@bench.test", "x", name="Admin", role=Role.ADMIN)
    agents = [
        User.objects.create_user(f"agent{i}@bench.test", "x", name=f"Agent {i}", role=Role.AGENT) for i in range(AGENTS)
    ]
    teams = [Team.objects.create(name=f"Team {i}") for i in range(TEAMS)]
    categories = [
        Category.objects.create(name=f"Category {i}", slug=f"category-{i}", default_team=teams[i % TEAMS])
        for i in range(CATEGORIES)
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        report_tickets_insert(
            cursor,
            tickets=TICKETS,
            open_tickets=OPEN_TICKETS,
            days=DAYS,
            now=timezone.now(),
            requester=requester,
            agents=agents,
            teams=teams,
            categories=categories,
        )
        print(f"  {TICKETS:,} tickets inserted in {time.perf_counter() - started:.0f} s")
        cursor.execute("ANALYZE tickets_ticket")
    del admin


def measure(client: Client, url: str, query: dict[str, object]) -> None:
    client.get(url, query, secure=True)  # warm: templates compiled, connection open
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(url, query, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, response.get("Location"))
    with CaptureQueriesContext(connection) as queries:
        client.get(url, query, secure=True)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    label = f"{url} {query or ''}".strip()
    print(f"{label:<60} p50 {statistics.median(timings):6.0f} ms   p95 {p95:6.0f} ms   {len(queries)} queries")


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not Ticket.objects.exists():
        print(f"Seeding {TICKETS:,} tickets over {DAYS} days ({connection.vendor})...")
        seed()
    fill_report_metrics()
    print(
        f"{Ticket.objects.count():,} tickets, {TicketMetrics.objects.count():,} metrics, "
        f"{DailyRollup.objects.count():,} rollup rows ({connection.vendor})"
    )
    started = time.perf_counter()
    from reports.services import rollups_refresh

    rollups_refresh()
    print(f"beat task (yesterday and today): {(time.perf_counter() - started) * 1000:.0f} ms")

    admin = User.objects.get(email="admin@bench.test")
    # An unproven address gets no session (accounts.middleware): the admin's is proven.
    EmailAddress.objects.update_or_create(user=admin, email=admin.email, defaults={"verified": True, "primary": True})
    client = Client()
    client.force_login(admin)
    team = Team.objects.order_by("pk").first()
    agent = User.objects.filter(role=Role.AGENT).order_by("pk").first()
    measure(client, "/staff/away/", {})  # a yardstick: a small staff page, timed on the same (busy) machine
    measure(client, "/staff/reports/", {})
    measure(client, "/staff/reports/", {"team": team.pk})
    measure(client, "/staff/reports/", {"agent": agent.pk})
    today = timezone.localdate()
    measure(client, "/staff/reports/", {"start": today - timedelta(days=89), "end": today})
    measure(client, "/api/v1/reports/dashboard", {})


if __name__ == "__main__":
    main()
