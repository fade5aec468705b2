"""The real app under gunicorn on PostgreSQL, at 10k and 1M tickets, against a ceiling measured in the same run.

`BENCH_DB=postgres make bench`. See bench/README.md for what it does, the knobs and how to read the table.
The orchestrating process never imports Django: each database is prepared (migrated, loaded once, given an agent
with a token and a session) by this same file run as `bench_postgres.py prepare`, and query counts are taken by
`bench_postgres.py queries`, both with that database's DATABASE_URL.
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
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scenarios import CEILING, SCENARIOS, Scenario  # noqa: E402

SERVER_URL = os.environ.get("BENCH_PG_URL", "postgres://root@127.0.0.1:5432").rstrip("/")
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
MEMORY_REQUESTS = (1_000, 10_000)
RUN_MEMORY = os.environ.get("BENCH_MEMORY", "1") not in ("0", "false", "no")
ONLY = os.environ.get("BENCH_ONLY", "")  # a substring of scenario names, to measure a few
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
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "helpdesk.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={WORKERS}",
            "--worker-class=sync",
            "--timeout=60",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=app_environment(self.size, self.var_dir), stdout=log, stderr=subprocess.STDOUT
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

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], stdout=subprocess.PIPE)
        return [int(pid) for pid in found.stdout.split()]

    def worker_rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def headers_for(scenario: Scenario, fixtures: dict[str, Any]) -> dict[str, str]:
    headers = {"Accept": "application/json, text/html"}
    if scenario.auth == "token":
        headers["Authorization"] = f"Bearer {fixtures['token']}"
    elif scenario.auth == "session":
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


def wrk_lua(scenario: Scenario) -> str | None:
    if scenario.body is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = {json.dumps(scenario.method)}\nwrk.body = {json.dumps(scenario.body)}\n")
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


def load_with_wrk(server: Server, scenario: Scenario, path: str, fixtures: dict[str, Any]) -> Measured:
    command = ["wrk", f"-t{min(2, CONNECTIONS)}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout=30s"]
    for name, value in headers_for(scenario, fixtures).items():
        command += ["-H", f"{name}: {value}"]
    script = wrk_lua(scenario)
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, server.url + path], stdout=subprocess.PIPE, check=True).stdout.decode()
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


def load_with_python(server: Server, scenario: Scenario, path: str, fixtures: dict[str, Any]) -> Measured:
    """The fallback when wrk is not installed: CONNECTIONS threads, one request at a time each."""
    timings: list[float] = []
    errors = 0
    headers = headers_for(scenario, fixtures)
    deadline = time.monotonic() + SECONDS
    lock = threading.Lock()

    def worker() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            start = time.perf_counter()
            status, _ = call(server.url, scenario.method, path, headers, scenario.body)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                timings.append(elapsed)
                errors += status >= 400

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
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


def load(server: Server, scenario: Scenario, path: str, fixtures: dict[str, Any]) -> Measured:
    headers = headers_for(scenario, fixtures)
    for _ in range(10):  # warm the workers' caches and pools, and prove the path answers
        status, body = call(server.url, scenario.method, path, headers, scenario.body)
        assert status in (200, 201), (scenario.name, path, status, body[:500])
    if shutil.which("wrk"):
        return load_with_wrk(server, scenario, path, fixtures)
    return load_with_python(server, scenario, path, fixtures)


def memory_growth(server: Server, requests: list[tuple[Scenario, str]], fixtures: dict[str, Any]) -> list[str]:
    """Worker RSS after 1,000 and after 10,000 requests cycling through the API's read scenarios (the pages are
    too slow today to send 10,000 of them in a bench run)."""
    lines, sent, lock = [], 0, threading.Lock()
    reads = [(scenario, path) for scenario, path in requests if scenario.method == "GET" and scenario.auth == "token"]

    def send(count: int) -> None:
        nonlocal sent

        def worker() -> None:
            nonlocal sent
            while True:
                with lock:
                    if sent >= count:
                        return
                    sent += 1
                    scenario, path = reads[sent % len(reads)]
                call(server.url, "GET", path, headers_for(scenario, fixtures))

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


def measure_size(size: int, var_dir: str) -> dict[str, Measured]:
    started = time.monotonic()
    ensure_database(size)
    fixtures = run_django("prepare", size, var_dir)
    print(f"{database_name(size)}: ready in {time.monotonic() - started:.0f} s", flush=True)
    scenarios = [scenario for scenario in SCENARIOS if scenario.name == CEILING or ONLY in scenario.name]
    server = Server(size, var_dir)
    results: dict[str, Measured] = {}
    try:
        server.start()
        resolved = [(scenario, resolve_path(server, scenario, fixtures)) for scenario in scenarios]
        for scenario, path in resolved:
            results[scenario.name] = load(server, scenario, path, fixtures)
            print(f"  {scenario.name:40s} {results[scenario.name].rps:8.1f} req/s", flush=True)
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)
    plan = [{"name": s.name, "method": s.method, "path": p, "auth": s.auth, "body": s.body} for s, p in resolved]
    counts = run_django("queries", size, var_dir, json.dumps({"plan": plan, **fixtures}))
    for name, count in counts.items():
        results[name].queries = count
    return results


def measure_memory(size: int, var_dir: str) -> list[str]:
    fixtures = run_django("prepare", size, var_dir)
    server = Server(size, var_dir)
    try:
        server.start()
        resolved = [(scenario, resolve_path(server, scenario, fixtures)) for scenario in SCENARIOS]
        return memory_growth(server, resolved, fixtures)
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)


def print_table(by_size: dict[int, dict[str, Measured]]) -> None:
    sizes = list(by_size)
    print()
    print("| scenario | size | req/s | p50 ms | p99 ms | queries | x ceiling | p50 largest/smallest |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        if scenario.name not in by_size[sizes[0]]:
            continue
        for size in sizes:
            result = by_size[size][scenario.name]
            ceiling = by_size[size][CEILING]
            flat = ""
            if size == sizes[-1] and len(sizes) > 1:
                flat = f"{result.p50 / by_size[sizes[0]][scenario.name].p50:.2f}x"
            errors = f" ({result.errors} errors)" if result.errors else ""
            print(
                f"| {scenario.name} | {database_name(size)[6:]} | {result.rps:.1f}{errors} | {result.p50:.1f} | "
                f"{result.p99:.1f} | {result.queries} | {result.rps / ceiling.rps:.2f}x | {flat} |"
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
