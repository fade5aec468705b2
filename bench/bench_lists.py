"""Latency and query counts of the busiest reads, on a throwaway SQLite database with many tickets.

Run with `make bench` (TICKETS=5000 make bench for a bigger queue). Prints one line per scenario.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="helpdesk-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("RATE_LIMIT_READS", "1000000/m")  # measuring the app, not the limiter
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no request line per measured request

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from tickets.models import Comment, Priority, Status, Ticket  # noqa: E402

TICKETS = int(os.environ.get("TICKETS", "2000"))
RUNS = int(os.environ.get("RUNS", "30"))


def seed() -> tuple[User, User, Ticket]:
    agent = User.objects.create_user("agent@bench.test", "x", role=Role.AGENT)
    # Only a proven address gets a session's worth of access (accounts.verification).
    EmailAddress.objects.create(user=agent, email=agent.email, verified=True, primary=True)
    requester = User.objects.create_user("req@bench.test", "x")
    statuses, priorities = list(Status), list(Priority)
    Ticket.objects.bulk_create(
        Ticket(
            requester=requester,
            subject=f"Ticket {i}",
            description="Lorem ipsum " * 20,
            status=statuses[i % len(statuses)],
            priority=priorities[i % len(priorities)],
            assignee=agent if i % 3 else None,
        )
        for i in range(TICKETS)
    )
    busy = Ticket.objects.first()
    Comment.objects.bulk_create(
        Comment(ticket=busy, author=agent, body=f"reply {i}", body_html=f"<p>reply {i}</p>") for i in range(100)
    )
    return agent, requester, busy


def measure(client: Client, url: str) -> tuple[float, float, int]:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), sorted(timings)[int(len(timings) * 0.95) - 1], len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    agent, _, busy = seed()
    client = Client()
    client.force_login(agent)
    print(f"{TICKETS} tickets, {RUNS} runs each (SQLite, in-process)")
    for label, url in [
        ("API list, page_size=25", "/api/v1/tickets/?page_size=25"),
        ("API list, page_size=100", "/api/v1/tickets/?page_size=100"),
        ("API list, filtered + ordered", "/api/v1/tickets/?status=open,pending&assignee=none&ordering=-priority"),
        ("API comments, 100 on one ticket", f"/api/v1/tickets/{busy.pk}/comments/?page_size=100"),
        ("staff queue page", "/staff/"),
        ("staff queue, text search", "/staff/?q=ticket+19"),
        ("staff ticket page, 100 comments", f"/staff/tickets/{busy.pk}/"),
    ]:
        p50, p95, count = measure(client, url)
        print(f"{label:36s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {count:2d} queries")


if __name__ == "__main__":
    main()
