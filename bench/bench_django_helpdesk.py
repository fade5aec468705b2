"""Our app against django-helpdesk 2.6.1 on the same 10,000 tickets: `make bench-django-helpdesk`.

Issue 15 measured django-helpdesk's API list at 0.18 req/s and its staff list (the JSON its ticket list page loads) at
6.9 req/s on 10k tickets, and asked for ours to be at least 1,000x and 20x as fast. This measures both sides in one run,
on one machine, the same way: gunicorn with BENCH_WORKERS sync workers, DEBUG off, pooled PostgreSQL connections,
wrk with BENCH_CONNECTIONS connections, a signed-in agent.

- Ours: the database `bench_10k` of `BENCH_DB=postgres make bench` (made or reused as that run does), its agent's
  bearer token and session.
- Theirs: a virtualenv of its own under var/ (bench/django_helpdesk/requirements.txt; its package is named
  `helpdesk`, as ours is), a database `bench_dh_10k` filled from `bench_10k` by bench/django_helpdesk/load.py (each
  team a queue, each agent a staff user, each ticket and comment a ticket and follow-up with the same text and times),
  kept while it holds as many tickets, and a session for the same agent, staff but not superuser.

Its slow pages are loaded for BENCH_DH_SECONDS (30) after 2 warm-ups, so that a page taking seconds still gives a
median, and the next measurement waits until its workers are idle; ours are loaded as `make bench` loads them. The
ceiling of `make bench` is measured before the first pair and after the last: how many times faster we are depends on
the machine (its slowest pages are thousands of round trips to the database), and each side's ratio to the ceiling
says how. The orchestrator imports neither Django.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_postgres as ours  # noqa: E402
from bench.scenarios import CEILING, SCENARIOS, Scenario  # noqa: E402

SIZE = 10_000
THEIR_DIR = ROOT / "bench" / "django_helpdesk"
THEIR_VENV = ROOT / "var" / "bench-django-helpdesk" / "venv"
THEIR_REQUIREMENTS = THEIR_DIR / "requirements.txt"
THEIR_DATABASE = "bench_dh_10k"
THEIR_SECONDS = int(os.environ.get("BENCH_DH_SECONDS", "30"))
THEIR_WARM_UPS = 2
CEILING_SCENARIO = next(scenario for scenario in SCENARIOS if scenario.name == CEILING)


@dataclass(frozen=True)
class Pair:
    """One thing an agent or an integration does, as each app serves it; `target`: how many times faster ours must
    be (issue 15), or None where the issue sets none."""

    name: str
    ours: Scenario
    theirs: Scenario
    target: float | None = None


PAIRS = [
    Pair(
        "API list, first page of 25",
        Scenario("API list, default", "GET", "/api/v1/tickets/"),
        Scenario("API list", "GET", "/api/tickets/", auth="session"),
        target=1000,
    ),
    Pair(
        "staff ticket list",
        Scenario("staff queue, default", "GET", "/staff/", auth="session"),
        # What its list page loads for the rows (DataTables' first request), as the issue measured it: the page
        # around it is a second request, which this leaves out.
        Scenario(
            "staff list, its JSON", "GET", "/datatables_ticket_list/{query}?draw=1&start=0&length=25", auth="session"
        ),
        target=20,
    ),
    Pair(
        "staff ticket page, 100 comments",
        Scenario("staff ticket page, 100 comments", "GET", "/staff/tickets/{busy_ticket}/", auth="session"),
        Scenario("ticket page", "GET", "/tickets/{busy_ticket}/", auth="session"),
    ),
]


# --- django-helpdesk: its virtualenv, database and server -------------------------------------------------------


def their_python(program: str = "python") -> str:
    return str(THEIR_VENV / "bin" / program)


def ensure_their_venv() -> None:
    """Made once, and again when its requirements change."""
    marker = THEIR_VENV / ".installed"
    if marker.exists() and marker.stat().st_mtime >= THEIR_REQUIREMENTS.stat().st_mtime:
        return
    print("django-helpdesk: installing its virtualenv", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(THEIR_VENV)], check=True)
    pip = [their_python(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(THEIR_REQUIREMENTS)], check=True)
    marker.touch()


def their_environment(var_dir: str) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "BENCH_"))}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "settings",
        "DH_DATABASE_URL": f"{ours.SERVER_URL}/{THEIR_DATABASE}",
        "DH_VAR_DIR": var_dir,
        "PYTHONPATH": "",
    }


def run_theirs(var_dir: str, *args: str) -> dict[str, object]:
    output = subprocess.run(
        [their_python(), "load.py", *args],
        cwd=THEIR_DIR,
        env=their_environment(var_dir),
        check=True,
        stdout=subprocess.PIPE,
    )
    return json.loads(output.stdout.decode().strip().splitlines()[-1])


def prepare_theirs(var_dir: str) -> dict[str, object]:
    if not ours.admin_sql(f"SELECT 1 FROM pg_database WHERE datname = '{THEIR_DATABASE}'"):
        ours.admin_sql(f'CREATE DATABASE "{THEIR_DATABASE}"')
    return run_theirs(var_dir, ours.database_url(SIZE))


class TheirServer(ours.Server):
    """django-helpdesk under the same gunicorn, from its own virtualenv and folder."""

    def command(self) -> list[str]:
        return [their_python("gunicorn"), "wsgi", *self.gunicorn_options()]

    def environment(self) -> dict[str, str]:
        return their_environment(self.var_dir)

    def working_directory(self) -> Path:
        return THEIR_DIR


def their_list_query(server: ours.Server, session: str) -> str:
    """The query its ticket list page asks DataTables to load, as the page renders it for the agent."""
    status, page = ours.call(server.url, "GET", "/tickets/", {"Cookie": f"sessionid={session}"})
    assert status == 200, (status, page[:300])
    return re.search(rb"datatables_ticket_list/([A-Za-z0-9+/=]+)", page).group(1).decode()


# --- the load -----------------------------------------------------------------------------------------------------


def load_theirs(server: ours.Server, prepared: ours.Prepared) -> ours.Measured:
    for _ in range(THEIR_WARM_UPS):
        status, answer = ours.call(server.url, "GET", prepared.path, prepared.headers)
        assert status == 200, (prepared.name, prepared.path, status, answer[:500])
    load = ours.load_with_wrk if shutil.which("wrk") else ours.load_with_python
    measured = load(server, prepared, max(ours.SECONDS, THEIR_SECONDS))
    wait_until_idle(server)
    return measured


def wait_until_idle(server: ours.Server, timeout: float = 120) -> None:
    """wrk stops when its time is up, but the workers finish the requests they had taken (seconds each, on its
    slowest pages): wait until their CPU time stops growing, so that the next measurement has the machine alone."""
    deadline = time.monotonic() + timeout
    spent = worker_cpu_seconds(server)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        spent, before = worker_cpu_seconds(server), spent
        if spent - before < 0.02:
            return


def worker_cpu_seconds(server: ours.Server) -> float:
    ticks = 0
    for pid in server.worker_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime and stime: the stat line's 14th and 15th fields
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Compared:
    pair: Pair
    mine: ours.Measured
    theirs: ours.Measured
    their_path: str


def measure(var_dir: str) -> tuple[list[Compared], float]:
    """Each pair, ours then theirs, and the ceiling's req/s (bench/scenarios.py) before the first and after the last."""
    ours.ensure_database(SIZE)
    our_fixtures = ours.run_django("prepare", SIZE, var_dir)
    their_fixtures = prepare_theirs(var_dir)
    our_server, their_server = ours.Server(SIZE, var_dir), TheirServer(SIZE, var_dir)
    results = []
    try:
        our_server.start()
        their_server.start()
        their_fixtures["query"] = their_list_query(their_server, str(their_fixtures["session"]))
        their_fixtures["busy_ticket"] = our_fixtures["busy_ticket"]  # the same ticket, by the same id
        ceiling = ours.prepare_scenario(our_server, CEILING_SCENARIO, our_fixtures)
        ceilings = [ours.load(our_server, ceiling, ours.CEILING_SECONDS)]
        for pair in PAIRS:
            mine = ours.load(our_server, ours.prepare_scenario(our_server, pair.ours, our_fixtures))
            prepared = ours.prepare_scenario(their_server, pair.theirs, their_fixtures)
            theirs = load_theirs(their_server, prepared)
            print(f"  {pair.name:40s} ours {mine.rps:8.1f} req/s, django-helpdesk {theirs.rps:8.2f}", flush=True)
            results.append(Compared(pair, mine, theirs, prepared.path))
        ceilings.append(ours.load(our_server, ceiling, ours.CEILING_SECONDS))
    finally:
        our_server.stop()
        their_server.stop()
    count_queries(results, our_fixtures, their_fixtures, var_dir)
    return results, statistics.mean(slot.rps for slot in ceilings)


def count_queries(results: list[Compared], our_fixtures: dict, their_fixtures: dict, var_dir: str) -> None:
    """Each side's queries per request, counted in-process on each app's own database (one request per path)."""
    plan = [
        {"name": result.pair.ours.name, "method": "GET", "path": result.pair.ours.path.format(**our_fixtures)}
        | {"auth": result.pair.ours.auth, "bodies": [None], "content_type": None, "expect": None}
        for result in results
    ]
    mine = ours.run_django("queries", SIZE, var_dir, json.dumps({"plan": plan, **our_fixtures}))
    paths = [result.their_path for result in results]
    theirs = run_theirs(var_dir, "queries", str(their_fixtures["session"]), json.dumps(paths))
    for result in results:
        result.mine.queries = mine[result.pair.ours.name]
        result.theirs.queries = theirs[result.their_path]


def print_table(results: list[Compared], ceiling_rps: float) -> None:
    print(f"\nThe ceiling (a bare DRF view, one query; bench/README.md) ran at {ceiling_rps:,.1f} req/s in this run.\n")
    print(
        "| scenario | ours: req/s, p50 ms, queries | django-helpdesk 2.6.1: req/s, p50 ms, queries "
        "| ours x as many req/s | target | ours, theirs x ceiling |"
    )
    print("|---|---|---|---|---|---|")
    for result in results:
        mine, theirs = result.mine, result.theirs
        target = f"{result.pair.target:,.0f}x" if result.pair.target else ""
        errors = f" ({theirs.errors} errors)" if theirs.errors else ""
        # No answer within the load's time (wrk's rate 0): at least as many times as one answer would have given.
        times = f"{mine.rps / theirs.rps:,.0f}x" if theirs.rps else f"> {mine.rps * THEIR_SECONDS:,.0f}x"
        print(
            f"| {result.pair.name} | {mine.rps:,.1f}, {mine.p50:,.1f}, {mine.queries} "
            f"| {theirs.rps:,.2f}{errors}, {theirs.p50:,.1f}, {theirs.queries:,} | {times} | {target} "
            f"| {mine.rps / ceiling_rps:.2f}x, {theirs.rps / ceiling_rps:.4f}x |"
        )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped from outside: the finally blocks stop gunicorn
    ensure_their_venv()
    var_dir = tempfile.mkdtemp(prefix="helpdesk-bench-dh-")
    print(
        f"Ours ({ours.database_name(SIZE)}) against django-helpdesk 2.6.1 ({THEIR_DATABASE}): gunicorn -w "
        f"{ours.WORKERS} sync each; {'wrk' if shutil.which('wrk') else 'python client'} -c{ours.CONNECTIONS}, "
        f"{ours.SECONDS} s for ours, {THEIR_SECONDS} s for theirs",
        flush=True,
    )
    started = time.monotonic()
    ours.collect_static(var_dir)
    results, ceiling_rps = measure(var_dir)
    print_table(results, ceiling_rps)
    print(f"\n({time.monotonic() - started:.0f} s)")
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
