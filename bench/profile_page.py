"""Time one page in-process against a bench database, count its queries, and optionally profile it.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench_10k .venv/bin/python bench/profile_page.py [PATH] [--profile]

PATH defaults to the staff page of the ticket with the most comments (bench/pg_data.py gives the newest ticket 100).
Signed in as agent@bench.test (`bench_postgres.py prepare` creates it), DEBUG off as in production, so templates
come from the cached loader. Prints p50/p95 over RUNS requests (default 50), the
process's own CPU time per request (steadier than wall time on a busy machine), and the queries of one request;
`--profile` adds cProfile's 30 most expensive functions (cumulative) over the same requests.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a bench database, e.g. postgres://root@127.0.0.1:5432/bench_10k")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ["DEBUG"] = "false"
# DEBUG=false refuses to start without these; throwaway values for a process that serves no one.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("ENCRYPTION_KEYS", "dGhpcyBpcyBhIGJlbmNoLW9ubHkga2V5LCBub3QgdXM=")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("RATE_LIMIT_READS", "100000000/m")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets.models import Ticket  # noqa: E402

RUNS = int(os.environ.get("RUNS", "50"))


def main() -> None:
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # DEBUG off serves hashed names
        call_command("collectstatic", interactive=False, verbosity=0)
    args = [arg for arg in sys.argv[1:] if arg.startswith("/")]
    if args:
        path = args[0]
    else:
        busy = Ticket.objects.annotate(n=Count("comments")).order_by("-n").values_list("pk", "n").first()
        path = f"/staff/tickets/{busy[0]}/"
        print(f"ticket #{busy[0]}: {busy[1]} comments")
    client = Client()
    client.force_login(User.objects.get(email="agent@bench.test"), backend="accounts.backends.RoleBackend")
    response = client.get(path)  # fills the per-process caches (templates, content types)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    queries = list(captured.captured_queries)  # read from the connection's log, which the next request clears
    timings, cpu = [], []
    profile = cProfile.Profile() if "--profile" in sys.argv else None
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        client.get(path)
        if profile:
            profile.disable()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"{path}: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms over {RUNS} "
        f"(min {timings[0]:.1f}; this process's CPU: p50 {statistics.median(cpu):.1f}, min {min(cpu):.1f}); "
        f"{len(queries)} queries; {len(response.content)} bytes"
    )
    if "--queries" in sys.argv:
        for query in queries:
            print(f"  {query['time']}  {query['sql'][:200]}")
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(int(os.environ.get("TOP", "40")))
        stats.sort_stats("tottime").print_stats(int(os.environ.get("TOP", "40")))
        for name in sys.argv[sys.argv.index("--profile") + 1 :]:
            stats.print_callees(name)


if __name__ == "__main__":
    main()
