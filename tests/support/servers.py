"""Real processes for the fault tests, each on a free port and in a folder of its own, killed only by us.

- `Gunicorn`: the app as production runs it (several sync workers), its log in a file.
- `OwnPostgres`: a PostgreSQL cluster made with initdb for the test (never the shared one), stopped and restarted at
  will with pg_ctl. initdb refuses to run as root, so as root it runs as the `postgres` user.
- `OwnRedis`: a redis-server without persistence, killed and started again on the same port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

import pytest
import requests

from tests.support.processes import PRODUCTION_ENV, ROOT, run_django

START_TIMEOUT_SECONDS = 60
WORK_TIMEOUT_SECONDS = 180  # generous: CI runs the worker beside the rest of the suite on two cores


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different free ports: each socket stays bound until all are chosen, or the kernel may hand the same
    port out twice (dovecot then refused its config: "duplicate listener")."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    details: Callable[[], str] | None = None,
) -> float:
    """Poll `condition` until it holds; returns the seconds it took (this is a real process: it has to be waited
    for). Fails the test after `timeout`, naming `what` and adding what `details()` says (a process's log)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout} s" + (details() if details else ""))
        time.sleep(interval)
    return time.monotonic() - started


def children(pid: int) -> list[int]:
    found = []
    for path in glob(f"/proc/{pid}/task/*/children"):
        found += [int(child) for child in Path(path).read_text().split()]
    return found


def binary(name: str) -> str:
    """A PostgreSQL or Redis program: on the PATH, or in Debian's versioned PostgreSQL folder."""
    candidates = [shutil.which(name), *sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)]
    found = next((candidate for candidate in candidates if candidate), None)
    if found is None:
        pytest.skip(f"{name} is not installed (.ci/run installs PostgreSQL and Redis)")
    return found


# --- The app -------------------------------------------------------------------------------------------------------


def app_environment(var_dir: Path, **overrides: str) -> dict[str, str]:
    """Production settings (DEBUG off) over plain HTTP on loopback, everything else from `overrides`."""
    return {
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_READS": "100000/m",
        "RATE_LIMIT_WRITES": "100000/m",
        **overrides,
    }


def seed_agent(env: dict[str, str], var_dir: Path) -> str:
    """Make an agent with a token and a category in a migrated database; returns the token's secret."""
    code = (
        "from accounts.models import Role\n"
        "from accounts.services import api_token_issue, user_create\n"
        "from tickets.models import Category\n"
        "agent = user_create(email='agent@example.com', password='x-long-password-1', role=Role.AGENT)\n"
        "Category.objects.create(name='General', slug='general')\n"
        "print(api_token_issue(user=agent, name='faults')[1])\n"
    )
    seeded = run_django(code, env, var_dir)
    assert seeded.returncode == 0, seeded.stderr
    return seeded.stdout.strip().splitlines()[-1]


@dataclass
class Gunicorn:
    env: dict[str, str]
    folder: Path
    workers: int = 2
    timeout: int = 30
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "gunicorn.log"

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def served(self) -> list[tuple[int, int]]:
        """(worker pid, status) of each request answered so far, from the access log."""
        lines = self.access_log.read_text().split("\n") if self.access_log.exists() else []
        return [(int(pid.strip("<>")), int(status)) for pid, status in (line.split() for line in lines if line.strip())]

    def start(self) -> Gunicorn:
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "helpdesk.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            f"--timeout={self.timeout}",
            "--graceful-timeout=2",
            f"--access-logfile={self.access_log}",
            "--access-logformat=%(p)s %(s)s",
        ]
        clean = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "REDIS_"))}
        with self.log.open("ab") as log:
            environment = {**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **self.env}
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout=START_TIMEOUT_SECONDS, what=f"gunicorn on {self.url}")
        wait_until(lambda: len(self.worker_pids()) == self.workers, timeout=START_TIMEOUT_SECONDS, what="workers")
        return self

    def _answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def gunicorn(env: dict[str, str], folder: Path, **options: int) -> Iterator[Gunicorn]:
    server = Gunicorn(env, folder, **options)
    try:
        yield server.start()
    finally:
        server.stop()


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def _as_postgres_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class OwnPostgres:
    folder: Path
    port: int = field(default_factory=free_port)
    database: str = "helpdesk"
    user: str = "helpdesk"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            _as_postgres_owner(list(command)), capture_output=True, text=True, timeout=120, check=False
        )
        if check:
            assert result.returncode == 0, result.stderr + result.stdout
        return result

    def create(self) -> OwnPostgres:
        """The folder must be one the `postgres` user can reach when we are root: not under pytest's private tmp."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(binary("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust", "--no-sync", "-E", "UTF8")
        self.start()
        self._run(binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database)
        return self

    def _pg_ctl(self, action: str, *options: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run(binary("pg_ctl"), "-D", str(self.data), *options, "-w", action, check=check)

    def _server_options(self) -> list[str]:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        return ["-o", options, "-l", str(self.folder / "log")]

    def start(self) -> None:
        self._pg_ctl("start", *self._server_options())

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode, check=False)

    def restart(self, mode: str) -> None:
        self._pg_ctl("restart", "-m", mode, *self._server_options())

    def is_running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    @property
    def version(self) -> str:
        """The major version, as the data folder records it."""
        return (self.data / "PG_VERSION").read_text().strip()

    def _client(self, program: str, *options: str) -> None:
        """A client program run as ourselves (not the cluster's owner), so it reads and writes our files."""
        command = [binary(program), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, *options]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr + result.stdout

    def dump(self, path: Path) -> None:
        """The database, schema and rows, as plain SQL in `path`."""
        self._client("pg_dump", "--no-owner", "-f", str(path), self.database)

    def load(self, path: Path) -> None:
        """Run a dump made by `dump` in the database, stopping at the first error."""
        self._client("psql", "-d", self.database, "-v", "ON_ERROR_STOP=1", "-q", "-f", str(path))


# --- Redis ---------------------------------------------------------------------------------------------------------


@dataclass
class OwnRedis:
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        command = [binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]  # nothing on disk: a restart starts empty
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=START_TIMEOUT_SECONDS, what=f"redis on {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


# --- The Celery worker ---------------------------------------------------------------------------------------------


@dataclass
class CeleryWorker:
    """`celery worker --beat` as one process (pool solo), so a SIGKILL takes the worker and its beat down at once."""

    env: dict[str, str]
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.folder / f"worker-{self.starts}.log"

    def start(self) -> CeleryWorker:
        self.starts += 1
        command = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--beat", "--pool=solo", "-l", "INFO"]
        command += [f"--schedule={self.folder / 'celerybeat-schedule'}"]
        clean = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "REDIS_"))}
        environment = {**clean, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "LOG_FORMAT": "plain", **self.env}
        with self.log.open("ab") as log:
            # A session of its own: the embedded beat is a child process, and a kill takes both (see kill()).
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(lambda: "ready." in self.log.read_text(errors="replace"), timeout=START_TIMEOUT_SECONDS,
                   what="the celery worker")  # fmt: skip
        return self

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, as if the machine went away."""
        if self.process is not None:
            kill_worker(self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        self.kill()  # whatever is left of its session (the embedded beat)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def wait_for(self, condition: Callable[[], bool], *, what: str, timeout: float = WORK_TIMEOUT_SECONDS) -> None:
        """Poll `condition` while the worker works; if it never holds, fail with the worker's exit code and log."""
        wait_until(condition, timeout=timeout, what=what, interval=0.2, details=self._state)

    def _state(self) -> str:
        code = self.process.poll() if self.process is not None else None
        return f"; the worker's exit code {code}, its log ends:\n{self.tail()}"


def kill_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL to a worker started with `start_new_session=True` and to its embedded beat (no warm shutdown: as if
    the machine went away). Killing the worker alone leaves its beat running, orphaned."""
    with suppress(ProcessLookupError):  # the whole session is gone already
        os.killpg(worker.pid, signal.SIGKILL)  # the session's id is the worker's pid (start_new_session)
    worker.wait(timeout=30)


def sharing_the_test_database(folder: Path) -> dict[str, str]:
    """A worker's settings to share the test's own database (PostgreSQL only: SQLite's test database lives in the
    test process), with its files in `folder` and its mail kept in its memory."""
    from django.db import connection

    settings = connection.settings_dict
    return {
        "VAR_DIR": str(folder),
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


@contextmanager
def celery_worker(env: dict[str, str], folder: Path, *, start: bool = True) -> Iterator[CeleryWorker]:
    """A worker with beat, stopped at the end; started now, or by the test (`start=False`: to kill and start again)."""
    worker = CeleryWorker(env, folder)
    try:
        yield worker.start() if start else worker
    finally:
        worker.stop()
