"""The real app under gunicorn on PostgreSQL, at 10k and 1M tickets, against a ceiling measured in the same run.

`BENCH_DB=postgres make bench`. See bench/README.md for what it does, the knobs and how to read the table.
The orchestrating process never imports Django: each database is prepared (migrated, loaded once, given an agent
with a token and a session) by this same file run as `bench_postgres.py prepare`, and query counts are taken by
`bench_postgres.py queries`, both with that database's DATABASE_URL.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scenarios import CEILING, EXPORT, EXPORT_PATH, EXPORT_WARM_UP, SCENARIOS, Scenario  # noqa: E402

SERVER_URL = os.environ.get("BENCH_PG_URL", "postgres://root@127.0.0.1:5432").rstrip("/")
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
# The ceiling is measured before the first scenario and again after each one, this long: each scenario's ratio is to
# the ceiling measured around it, so a machine that speeds up or slows down during a run moves both alike.
CEILING_SECONDS = int(os.environ.get("BENCH_CEILING_SECONDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
MEMORY_REQUESTS = (1_000, 10_000)
RUN_MEMORY = os.environ.get("BENCH_MEMORY", "1") not in ("0", "false", "no")
# Substrings of scenario names, separated by "|" ("API list|staff queue"), to measure a few.
ONLY = os.environ.get("BENCH_ONLY", "").split("|")


def chosen(name: str) -> bool:
    """Whether BENCH_ONLY picks the scenario (or step) of this name; the ceiling is always measured."""
    return name == CEILING or any(part in name for part in ONLY)


EXPORT_RUNS = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
WARM_UPS = 10  # even: scenarios with two bodies start their measured requests at the first
BUSY_COMMENTS = 100
AGENT_EMAIL = "agent@bench.test"
# DEBUG=0 refuses to start without these; they are throwaway values for a server that only listens on 127.0.0.1.
BENCH_SECRET_KEY = "bench-only-secret-key-" + "x" * 40
BENCH_FERNET_KEY = "dGhpcyBpcyBhIGJlbmNoLW9ubHkga2V5LCBub3QgdXM="


def database_name(size: int) -> str:
    return f"bench_{size // 1_000_000}m" if size % 1_000_000 == 0 else f"bench_{size // 1000}k"


def database_url(size: int) -> str:
    return f"{SERVER_URL}/{database_name(size)}"


def app_environment(size: int, var_dir: str) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "BENCH_"))}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": database_url(size),
        "DATABASE_POOL": "true",
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ENCRYPTION_KEYS": BENCH_FERNET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "BENCH_CEILING": "true",
        "REPORTS_FOR_AGENTS": "true",  # the bench signs in as an agent; the reports scenarios need it
        "RATE_LIMIT_READS": "100000000/m",  # measuring the app, not the limiter
        "RATE_LIMIT_WRITES": "100000000/m",
        "VAR_DIR": var_dir,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),  # a JSON line per request, as in production
    }


# --- the databases --------------------------------------------------------------------------------------------


def admin_sql(sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def ticket_count(size: int) -> int | None:
    import psycopg

    try:
        with psycopg.connect(database_url(size)) as connection:
            marker = connection.execute("SELECT count(*) FROM accounts_user WHERE email = %s", [AGENT_EMAIL])
            if marker.fetchone()[0] != 1:
                return None
            return connection.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
    except psycopg.Error:
        return None


def ensure_database(size: int) -> None:
    """Reuse the database when it holds `size` tickets; otherwise start it over."""
    name = database_name(size)
    exists = admin_sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists and ticket_count(size) == size:
        return
    if exists:
        admin_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')


def run_django(mode: str, size: int, var_dir: str, *args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, mode, str(size), *args],
        env={**app_environment(size, var_dir), "LOG_LEVEL": "WARNING"},  # its request lines are noise here
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
    )
    return json.loads(output.stdout.decode().strip().splitlines()[-1])


# --- the server and the load --------------------------------------------------------------------------------


@dataclass
class Server:
    size: int
    var_dir: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.working_directory(),
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                if urllib.request.urlopen(f"{self.url}/healthz", timeout=1).status == 200:
                    break
            except OSError:  # refused, reset or timed out while the workers boot
                time.sleep(0.2)
        while len(self.worker_pids()) < WORKERS:
            time.sleep(0.2)
        return self

    def command(self) -> list[str]:
        return [str(Path(sys.executable).with_name("gunicorn")), "helpdesk.wsgi", *self.gunicorn_options()]

    def gunicorn_options(self) -> list[str]:
        return [f"--bind=127.0.0.1:{self.port}", f"--workers={WORKERS}", "--worker-class=sync", "--timeout=60"]

    def environment(self) -> dict[str, str]:
        return app_environment(self.size, self.var_dir)

    def working_directory(self) -> Path:
        return ROOT

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], stdout=subprocess.PIPE)
        return [int(pid) for pid in found.stdout.split()]

    def worker_rss_mib(self) -> list[float]:
        return [rss_mib(pid) for pid in self.worker_pids()]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rss_mib(pid: int) -> float:
    """A process's resident memory, or 0 once it is gone (a worker the arbiter killed)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def headers_for(scenario: Scenario, fixtures: dict[str, Any]) -> dict[str, str]:
    headers = {"Accept": "application/json, text/html"}
    if scenario.auth == "token":
        headers["Authorization"] = f"Bearer {fixtures['token']}"
    elif scenario.auth in ("session", "browser"):
        headers["Cookie"] = f"sessionid={fixtures['session']}"
    if scenario.body is not None:
        headers["Content-Type"] = "application/json"
    return headers


def call(base: str, method: str, path: str, headers: dict[str, str], body: str | None = None) -> tuple[int, bytes]:
    data = body.encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def resolve_path(server: Server, scenario: Scenario, fixtures: dict[str, Any]) -> str:
    path = scenario.path.format(**fixtures)
    if scenario.next_page:
        status, body = call(server.url, "GET", path, headers_for(scenario, fixtures))
        assert status == 200, (scenario.name, status, body[:300])
        path = re.sub(r"^https?://[^/]+", "", json.loads(body)["next"])
    return path


class FormFields(HTMLParser):
    """What a browser submits from the form with this id as the page renders it: its inputs (those outside it that
    name it with `form=` too), ticked boxes only, each select's selected or first option, textareas."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: dict[str, Any] | None = None
        self.textarea: list[str] | None = None

    def _owned(self, attrs: dict[str, str | None]) -> bool:
        return attrs["form"] == self.form_id if "form" in attrs else self.inside

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attr_list)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if "disabled" in attrs or (not attrs.get("name") and tag != "option"):
            return
        if tag == "input" and self._owned(attrs):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((attrs["name"], attrs.get("value") or "on"))
                return
            self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select" and self._owned(attrs):
            self.select = {"name": attrs["name"], "first": None, "selected": None}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value") or ""
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.select["selected"] = value
        elif tag == "textarea" and self._owned(attrs):
            self.textarea = [attrs["name"]]

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["selected"] if self.select["selected"] is not None else self.select["first"]
            self.fields.append((self.select["name"], chosen or ""))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], "".join(self.textarea[1:]).removeprefix("\n")))
            self.textarea = None


def browser_form(server: Server, scenario: Scenario, fixtures: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The headers and bodies of a form post as a browser sends it: the page is read with the session cookie, the
    CSRF cookie it sets and the form's fields (its CSRF token among them) are taken from it, `bodies` change them."""
    page_url = server.url + scenario.form_page.format(**fixtures)
    cookie = f"sessionid={fixtures['session']}"
    page = urllib.request.Request(page_url, headers={"Accept": "text/html", "Cookie": cookie})
    with urllib.request.urlopen(page, timeout=30) as response:
        html = response.read().decode()
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
    assert "csrftoken" in cookies, f"{page_url} set no CSRF cookie"
    parser = FormFields(scenario.form_id or "")
    parser.feed(html)
    assert any(name == "csrfmiddlewaretoken" for name, _ in parser.fields), f"no form #{scenario.form_id} on the page"
    bodies = []
    for template in scenario.bodies:
        changes = parse_qs(template.format(**fixtures), keep_blank_values=True)
        kept = [(name, value) for name, value in parser.fields if name not in changes]
        bodies.append(urlencode(kept + [(name, value) for name, values in changes.items() for value in values]))
    headers = {
        "Accept": "text/html",
        "Cookie": f"{cookie}; csrftoken={cookies['csrftoken'].value}",
        "Origin": server.url,
        "Referer": page_url,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return headers, bodies


@dataclass
class Prepared:
    """A scenario ready to send to this server: its path, headers and bodies (sent in turn) filled in."""

    scenario: Scenario
    path: str
    headers: dict[str, str]
    bodies: list[str | None]

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def connections(self) -> int:
        return self.scenario.connections or CONNECTIONS


def prepare_scenario(server: Server, scenario: Scenario, fixtures: dict[str, Any]) -> Prepared:
    path = resolve_path(server, scenario, fixtures)
    if scenario.auth == "browser":
        headers, bodies = browser_form(server, scenario, fixtures)
        return Prepared(scenario, path, headers, list(bodies))
    bodies = [body.format(**fixtures) for body in scenario.bodies] or [scenario.body]
    return Prepared(scenario, path, headers_for(scenario, fixtures), list(bodies))


def wrk_lua(prepared: Prepared) -> str | None:
    if prepared.bodies == [None]:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = {json.dumps(prepared.scenario.method)}\n")
        script.write(f"local bodies = {{{', '.join(json.dumps(body) for body in prepared.bodies)}}}\n")
        script.write("local sent = 0\n")
        script.write("request = function()\n  sent = sent + 1\n")
        script.write("  return wrk.format(nil, nil, nil, bodies[(sent - 1) % #bodies + 1])\nend\n")
    return script.name


def parse_wrk_duration(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


@dataclass
class Measured:
    rps: float
    p50: float
    p99: float
    errors: int
    queries: int | None = None
    ceiling_rps: float | None = None  # the ceiling's req/s around this scenario: its slots just before and after


def load_with_wrk(server: Server, prepared: Prepared, seconds: int) -> Measured:
    connections = prepared.connections
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout=30s"]
    for name, value in prepared.headers.items():
        command += ["-H", f"{name}: {value}"]
    script = wrk_lua(prepared)
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, server.url + prepared.path], stdout=subprocess.PIPE, check=True).stdout.decode()
    if script:
        os.unlink(script)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Measured(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50=parse_wrk_duration(re.search(r"\s50%\s+(\S+)", output).group(1)),
        p99=parse_wrk_duration(re.search(r"\s99%\s+(\S+)", output).group(1)),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    )


def load_with_python(server: Server, prepared: Prepared, seconds: int) -> Measured:
    """The fallback when wrk is not installed: one thread per connection, one request at a time each."""
    timings: list[float] = []
    errors = sent = 0
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def worker() -> None:
        nonlocal errors, sent
        while time.monotonic() < deadline:
            with lock:
                body = prepared.bodies[sent % len(prepared.bodies)]
                sent += 1
            start = time.perf_counter()
            status, _ = call(server.url, prepared.scenario.method, prepared.path, prepared.headers, body)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                timings.append(elapsed)
                errors += status >= 300  # as wrk counts: a redirect is no answer here

    threads = [threading.Thread(target=worker) for _ in range(prepared.connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    timings.sort()
    return Measured(
        rps=len(timings) / (time.monotonic() - started),
        p50=statistics.median(timings),
        p99=timings[max(int(len(timings) * 0.99) - 1, 0)],
        errors=errors,
    )


def load(server: Server, prepared: Prepared, seconds: int | None = None) -> Measured:
    scenario = prepared.scenario
    seconds = seconds or max(SECONDS, scenario.seconds)
    for number in range(WARM_UPS):  # warm the workers' caches and pools, and prove the path answers
        body = prepared.bodies[number % len(prepared.bodies)]
        status, answer = call(server.url, scenario.method, prepared.path, prepared.headers, body)
        assert status in (200, 201), (scenario.name, prepared.path, status, answer[:500])
        assert scenario.expect is None or scenario.expect.encode() in answer, (scenario.name, answer[-2000:])
    if shutil.which("wrk"):
        return load_with_wrk(server, prepared, seconds)
    return load_with_python(server, prepared, seconds)


READ = ("GET", "token")


def memory_growth(server: Server, requests: list[Prepared]) -> list[str]:
    """Worker RSS after 1,000 and after 10,000 requests cycling through the API's read scenarios (the pages are
    too slow today to send 10,000 of them in a bench run)."""
    lines, sent, lock = [], 0, threading.Lock()
    reads = [prepared for prepared in requests if (prepared.scenario.method, prepared.scenario.auth) == READ]

    def send(count: int) -> None:
        nonlocal sent

        def worker() -> None:
            nonlocal sent
            while True:
                with lock:
                    if sent >= count:
                        return
                    sent += 1
                    prepared = reads[sent % len(reads)]
                call(server.url, "GET", prepared.path, prepared.headers)

        threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    rss = {}
    for count in MEMORY_REQUESTS:
        send(count)
        rss[count] = server.worker_rss_mib()
        lines.append(f"  worker RSS after {count:>6,} requests: " + ", ".join(f"{mib:.1f} MiB" for mib in rss[count]))
    first, last = (sum(rss[count]) for count in MEMORY_REQUESTS)
    lines.append(f"  growth 1k -> 10k: {(last / first - 1) * 100:+.1f}% (target within 10%)")
    return lines


# --- the run --------------------------------------------------------------------------------------------------


def collect_static(var_dir: str) -> None:
    environment = app_environment(SIZES[0], var_dir)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )


@dataclass
class Exported:
    rows: int
    expected: int
    megabytes: float
    first_byte_ms: float  # median of the runs
    last_byte_s: float  # median of the runs
    rss_before: float  # MiB: the serving worker before the first run
    growth: list[float]  # MiB, per run: the serving worker's peak RSS during the export minus its RSS just before
    complete: bool
    queries: int | None = None


@dataclass
class ExportRun:
    first_byte_ms: float
    last_byte_s: float
    size: int
    rows: int
    rss_before: float
    growth: float
    complete: bool


def export_once(server: Server, path: str, headers: dict[str, str]) -> ExportRun:
    """One export read to its last byte, every worker's RSS sampled every 20 ms meanwhile; the worker that grew
    most is the one that served it (the other is idle)."""
    pids = server.worker_pids()
    before = {pid: rss_mib(pid) for pid in pids}
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            for pid in pids:
                peak[pid] = max(peak[pid], rss_mib(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    size = lines = 0
    first_byte = None
    complete = True
    start = time.perf_counter()
    try:
        request = urllib.request.Request(server.url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=600) as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv"), path
            while chunk := response.read1(1 << 16):
                if first_byte is None:
                    first_byte = time.perf_counter() - start
                size += len(chunk)
                lines += chunk.count(b"\n")  # the bench data has no line break inside a field
    except (http.client.HTTPException, OSError):  # the worker was killed mid-export (gunicorn's timeout)
        complete = False
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    serving = max(pids, key=lambda pid: peak[pid] - before[pid])
    return ExportRun(
        first_byte_ms=(first_byte or elapsed) * 1000,
        last_byte_s=elapsed,
        size=size,
        rows=lines - 1,  # the header
        rss_before=before[serving],
        growth=peak[serving] - before[serving],
        complete=complete,
    )


def measure_export(server: Server, fixtures: dict[str, Any]) -> Exported:
    headers = {"Accept": "text/csv", "Cookie": f"sessionid={fixtures['export_session']}"}
    # Small exports first, two at a time so each worker serves some: its imports and caches are not growth.
    warm_ups = [
        threading.Thread(target=call, args=(server.url, "GET", EXPORT_WARM_UP.format(**fixtures), headers))
        for _ in range(2 * WORKERS)
    ]
    for thread in warm_ups:
        thread.start()
    for thread in warm_ups:
        thread.join()
    runs = [export_once(server, EXPORT_PATH.format(**fixtures), headers) for _ in range(EXPORT_RUNS)]
    for run in runs:
        print(
            f"  {EXPORT:40s} {run.last_byte_s:8.1f} s, {run.rows:,} rows, worker RSS {run.rss_before:.1f} MiB "
            f"{run.growth:+.1f} MiB",
            flush=True,
        )
    return Exported(
        rows=min(run.rows for run in runs),
        expected=fixtures["export_rows"],
        megabytes=max(run.size for run in runs) / 1e6,
        first_byte_ms=statistics.median(run.first_byte_ms for run in runs),
        last_byte_s=statistics.median(run.last_byte_s for run in runs),
        rss_before=runs[0].rss_before,
        growth=[run.growth for run in runs],
        complete=all(run.complete for run in runs),
    )


@dataclass
class SizeResults:
    scenarios: dict[str, Measured]
    export: Exported | None


def measure_size(size: int, var_dir: str) -> SizeResults:
    started = time.monotonic()
    ensure_database(size)
    fixtures = run_django("prepare", size, var_dir)
    print(f"{database_name(size)}: ready in {time.monotonic() - started:.0f} s", flush=True)
    scenarios = [scenario for scenario in SCENARIOS if chosen(scenario.name)]
    server = Server(size, var_dir)
    results: dict[str, Measured] = {}
    exported = None
    try:
        server.start()
        resolved = [prepare_scenario(server, scenario, fixtures) for scenario in scenarios]
        results = measure_beside_ceiling(server, resolved)
        if chosen(EXPORT):
            exported = measure_export(server, fixtures)
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)
    plan = [
        {"name": p.name, "method": p.scenario.method, "path": p.path, "auth": p.scenario.auth, "bodies": p.bodies}
        | {"content_type": p.headers.get("Content-Type"), "expect": p.scenario.expect}
        for p in resolved
    ]
    if exported is not None:
        export_step = {"name": EXPORT, "method": "GET", "path": EXPORT_PATH.format(**fixtures), "auth": "exporter"}
        plan.append(export_step | {"bodies": [None], "content_type": None, "expect": None})
    counts = run_django("queries", size, var_dir, json.dumps({"plan": plan, **fixtures}))
    for name, count in counts.items():
        if name == EXPORT and exported is not None:
            exported.queries = count
        else:
            results[name].queries = count
    return SizeResults(results, exported)


def measure_beside_ceiling(server: Server, resolved: list[Prepared]) -> dict[str, Measured]:
    """Each scenario, with the ceiling measured before the first and after each one (CEILING_SECONDS): a scenario's
    ratio is to the mean of the ceiling's slots on either side of it. The ceiling's own row is its median slot."""
    ceiling = next(prepared for prepared in resolved if prepared.name == CEILING)
    slots = [load(server, ceiling, CEILING_SECONDS)]
    results: dict[str, Measured] = {}
    for prepared in resolved:
        if prepared is ceiling:
            continue
        measured = load(server, prepared)
        slots.append(load(server, ceiling, CEILING_SECONDS))
        measured.ceiling_rps = (slots[-2].rps + slots[-1].rps) / 2
        results[prepared.name] = measured
        print(f"  {prepared.name:40s} {measured.rps:8.1f} req/s, ceiling {measured.ceiling_rps:8.1f}", flush=True)
    middle = sorted(slots, key=lambda slot: slot.rps)[len(slots) // 2]
    results[CEILING] = replace(middle, ceiling_rps=middle.rps)
    print(f"  {CEILING:40s} {middle.rps:8.1f} req/s (median of {len(slots)} slots)", flush=True)
    return results


def measure_memory(size: int, var_dir: str) -> list[str]:
    fixtures = run_django("prepare", size, var_dir)
    server = Server(size, var_dir)
    try:
        server.start()
        reads = [scenario for scenario in SCENARIOS if scenario.method == "GET" and scenario.auth == "token"]
        return memory_growth(server, [prepare_scenario(server, scenario, fixtures) for scenario in reads])
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)


def print_table(by_size: dict[int, SizeResults]) -> None:
    sizes = list(by_size)
    print()
    print(
        "| scenario | size | req/s | p50 ms | p99 ms | queries | x ceiling | p50 largest/smallest "
        "| the same, at the ceiling's speed |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        if scenario.name not in by_size[sizes[0]].scenarios:
            continue
        for size in sizes:
            result = by_size[size].scenarios[scenario.name]
            flat = corrected = ""
            if size == sizes[-1] and len(sizes) > 1:
                smallest = by_size[sizes[0]].scenarios[scenario.name]
                flat = f"{result.p50 / smallest.p50:.2f}x"
                # Latency scaled by how fast the machine ran the ceiling around each measurement: the sizes are
                # measured minutes apart, and a machine that slowed down in between slows both scenario and ceiling.
                corrected = f"{result.p50 / smallest.p50 * result.ceiling_rps / smallest.ceiling_rps:.2f}x"
            errors = f" ({result.errors} errors)" if result.errors else ""
            print(
                f"| {scenario.name} | {database_name(size)[6:]} | {result.rps:.1f}{errors} | {result.p50:.1f} | "
                f"{result.p99:.1f} | {result.queries} | {result.rps / result.ceiling_rps:.2f}x | {flat} | {corrected} |"
            )


def print_export_table(by_size: dict[int, SizeResults]) -> None:
    exports = {size: results.export for size, results in by_size.items() if results.export is not None}
    if not exports:
        return
    print()
    print(
        f"| {EXPORT} | size | rows | MB | first byte ms | last byte s (median of {EXPORT_RUNS}) | rows/s | "
        "queries | worker RSS before, MiB | RSS growth during each export, MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, exported in exports.items():
        rows = f"{exported.rows:,}"
        if exported.rows != exported.expected or not exported.complete:
            rows += f" (expected {exported.expected:,}; cut short)"
        growth = " / ".join(f"{mib:+.1f}" for mib in exported.growth)
        print(
            f"| | {database_name(size)[6:]} | {rows} | {exported.megabytes:.1f} | {exported.first_byte_ms:.0f} | "
            f"{exported.last_byte_s:.1f} | {exported.rows / exported.last_byte_s:,.0f} | {exported.queries} | "
            f"{exported.rss_before:.1f} | {growth} |"
        )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped from outside: the finally blocks stop gunicorn
    var_dir = tempfile.mkdtemp(prefix="helpdesk-bench-")
    print(
        f"PostgreSQL bench: {', '.join(database_name(size) for size in SIZES)}; gunicorn -w {WORKERS} sync, "
        f"DEBUG=0, DATABASE_POOL=true; {'wrk' if shutil.which('wrk') else 'python client'} "
        f"-c{CONNECTIONS} for {SECONDS} s per scenario",
        flush=True,
    )
    collect_static(var_dir)
    by_size = {size: measure_size(size, var_dir) for size in SIZES}
    print_table(by_size)
    print_export_table(by_size)
    if RUN_MEMORY:
        print(f"\nMemory ({database_name(SIZES[0])}, {WORKERS} workers):", flush=True)
        print("\n".join(measure_memory(SIZES[0], var_dir)))
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("prepare", "queries"):
        from bench import pg_data

        pg_data.main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
    else:
        main()
