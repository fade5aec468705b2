"""The bench's pages in-process against a prepared PostgreSQL bench database, each against the ceiling: ms per
request (median of RUNS; wall and this process's CPU), the database server's CPU per request (the PostgreSQL backend
serving this process, read from /proc) and the ratio, with the settings the gunicorn bench runs with. A first look
before (and between) `BENCH_DB=postgres make bench` runs, without a server or wrk.

    .venv/bin/python bench/profile_pages.py [SIZE]            # SIZE: 10000 (bench_10k, the default)
    PROFILE="staff queue, default" .venv/bin/python bench/profile_pages.py   # cProfile of that scenario too
    PROFILE_FILE=/tmp/queue.prof ...                          # and keep it, for pstats
    EXPLAIN=1 BENCH_ONLY="staff queue, default" ...           # EXPLAIN ANALYZE of each of its SELECTs too

The database must have been prepared (`bench/bench_postgres.py prepare SIZE` after creating it, or one
`BENCH_DB=postgres make bench` run). `BENCH_ONLY` picks scenarios as in the bench; RUNS (30) per scenario.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_postgres  # noqa: E402
from bench.scenarios import CEILING, SCENARIOS  # noqa: E402

SIZE = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
RUNS = int(os.environ.get("RUNS", "30"))
PROFILE = os.environ.get("PROFILE", "")
EXPLAIN = os.environ.get("EXPLAIN", "") == "1"

os.environ.update(
    {**bench_postgres.app_environment(SIZE, tempfile.mkdtemp(prefix="helpdesk-bench-")), "LOG_LEVEL": "WARNING"}
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import api_token_issue  # noqa: E402
from bench.pg_data import AGENT_EMAIL, fixed_points  # noqa: E402
from bench.search_data import COMMON_WORD, RARE_WORD  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def fixtures() -> dict[str, object]:
    busy, write = Ticket.objects.order_by("-created_at", "-id")[:2]
    return {
        **fixed_points(User.objects.get(email=AGENT_EMAIL), busy, write),
        "rare_word": RARE_WORD,
        "common_word": COMMON_WORD,
    }


def main() -> None:
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # the pages name hashed static files
        call_command("collectstatic", interactive=False, verbosity=0)
    agent = User.objects.get(email=AGENT_EMAIL)
    _, token = api_token_issue(user=agent, name="bench-profile")
    values = fixtures()
    ceiling_ms = None
    columns = ("ms p50", "CPU p50", "CPU min", "DB CPU")
    print(f"{'scenario':42s} {''.join(f'{name:>9s}' for name in columns)} {'queries':>7s} {'x ceiling':>9s}")
    for scenario in SCENARIOS:
        if scenario.method != "GET" or not bench_postgres.chosen(scenario.name):
            continue
        client = Client()
        headers = {}
        if scenario.auth == "token":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        elif scenario.auth == "session":
            client.force_login(agent, backend="accounts.backends.RoleBackend")
        path = scenario.path.format(**values)
        if scenario.next_page:
            path = client.get(path, **headers).json()["next"]
        for _ in range(3):  # per-process caches, templates, the connection
            response = client.get(path, **headers)
            assert response.status_code == 200, (scenario.name, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(path, **headers)
        queries = len(captured)  # now: the next request clears the connection's log
        if EXPLAIN:
            explain(captured.captured_queries)
        timings, cpu = [], []
        database_cpu_before = database_cpu_seconds()
        profiler = cProfile.Profile() if PROFILE and scenario.name == PROFILE else None
        for _ in range(RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            client.get(path, **headers)
            if profiler:
                profiler.disable()
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)  # steadier than wall time on a busy machine
        database_cpu = (database_cpu_seconds() - database_cpu_before) * 1000 / RUNS
        p50 = statistics.median(timings)
        if scenario.name == CEILING:
            ceiling_ms = p50
        ratio = f"{ceiling_ms / p50:.2f}x" if ceiling_ms else ""
        cpu_p50, cpu_min = statistics.median(cpu), min(cpu)
        times = "".join(f"{value:9.2f}" for value in (p50, cpu_p50, cpu_min, database_cpu))
        print(f"{scenario.name:42s} {times} {queries:7d} {ratio:>9s}", flush=True)
        if profiler:
            if os.environ.get("PROFILE_FILE"):
                profiler.dump_stats(os.environ["PROFILE_FILE"])
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def database_cpu_seconds() -> float:
    """CPU time so far of the PostgreSQL backend serving this process's connection (the server runs on this machine;
    /proc counts in clock ticks, so read it over many requests)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def explain(queries: list[dict[str, str]]) -> None:
    """EXPLAIN ANALYZE of each SELECT as it ran (the SQL logged with its values; read-only, so safe to run again)."""
    with connection.cursor() as cursor:
        for query in queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")  # our own logged queries
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
            print(f"  {query['sql']}\n{plan}\n", flush=True)


if __name__ == "__main__":
    main()
