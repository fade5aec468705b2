"""The agent workspace's queue on a throwaway SQLite database: pages and views with their capped counts, a bulk
update of 100 tickets, and the CSV export (time and peak Python memory, for a quarter of the tickets and for all).

Run with `make bench` (TICKETS=100000 make bench for a bigger queue). Prints one line per scenario.
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="helpdesk-bench-")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("RATE_LIMIT_READS", "1000000/m")
os.environ.setdefault("RATE_LIMIT_WRITES", "1000000/m")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import user_create  # noqa: E402
from queues.services import saved_view_create  # noqa: E402
from tickets.models import Comment, Priority, Status, Team, Ticket  # noqa: E402

TICKETS = int(os.environ.get("TICKETS", "10000"))
RUNS = int(os.environ.get("RUNS", "20"))


def seed() -> User:
    # Through the service, as the app does: a verified address, so the pages let the agent in.
    agent = user_create(email="agent@bench.test", password=secrets.token_urlsafe(), name="Agent", role=Role.AGENT)
    team = Team.objects.create(name="Support")
    team.members.add(agent)
    requester = User.objects.create_user("req@bench.test", "x", name="Requester")
    statuses, priorities = list(Status), list(Priority)
    batch = 5000
    for start in range(0, TICKETS, batch):
        Ticket.objects.bulk_create(
            Ticket(
                requester=requester,
                subject=f"Ticket {i}",
                description="Lorem ipsum " * 20,
                status=statuses[i % len(statuses)],
                priority=priorities[i % len(priorities)],
                assignee=agent if i % 3 else None,
                team=team if i % 2 else None,
            )
            for i in range(start, min(start + batch, TICKETS))
        )
    last = Ticket.objects.order_by("-id")[:200]
    Comment.objects.bulk_create(
        Comment(ticket=t, author=agent, body="A reply", body_html="<p>A reply</p>") for t in last
    )
    for number in range(5):
        saved_view_create(owner=agent, name=f"View {number}", conditions={"priority": "urgent", "status": "new,open"})
    return agent


def measure(client: Client, url: str) -> tuple[float, int]:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries)


def export(client: Client, url: str) -> tuple[float, int, float]:
    tracemalloc.start()
    start = time.perf_counter()
    rows = sum(chunk.count(b"\n") for chunk in client.get(url).streaming_content)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, rows - 1, peak / 1e6


def main() -> None:
    call_command("migrate", verbosity=0)
    agent = seed()
    view_id = agent.saved_views.first().pk
    client = Client()
    client.force_login(agent)
    print(f"{TICKETS} tickets, {RUNS} runs each (SQLite, in-process); 8 built-in + 5 saved views, each counted")
    for label, url in [
        ("queue, default view (All open)", "/staff/"),
        ("queue, Unassigned", "/staff/?view=unassigned"),
        ("queue, My team's by priority", "/staff/?my_teams=true&sort=priority"),
        ("views API, a view's tickets", f"/api/v1/views/{view_id}/tickets/"),
    ]:
        p50, count = measure(client, url)
        print(f"{label:36s} p50 {p50:7.1f} ms   {count:2d} queries")
    ids = list(Ticket.objects.filter(status=Status.NEW).values_list("pk", flat=True)[:100])
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        client.post("/staff/bulk/", {"ticket": ids, "query": "", "priority": str(Priority.HIGH), "add_tags": "bench"})
        elapsed = (time.perf_counter() - start) * 1000
    print(f"{'bulk update, 100 tickets':36s} {elapsed:7.0f} ms   {len(queries)} queries")
    every = "new,open,pending,resolved,closed"
    small = export(client, "/staff/export.csv?" + urlencode({"status": every, "priority": "urgent"}))
    full = export(client, "/staff/export.csv?" + urlencode({"status": every}))
    for label, (seconds, rows, peak) in (("CSV export, a quarter", small), ("CSV export, all", full)):
        print(f"{label:36s} {seconds:7.1f} s    {rows} rows   peak {peak:.1f} MB (tracemalloc)")


if __name__ == "__main__":
    main()
