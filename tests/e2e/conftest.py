"""The whole thing as production runs it: gunicorn, a Celery worker with beat on real Redis, PostgreSQL, a real
SMTP server, and (for storage) an S3-compatible server, all on 127.0.0.1 and started by the tests.

- PostgreSQL: a cluster of our own (initdb), migrated once into a template (from the migrated dump the fault tests
  share, tests/support/databases.py); each test gets a fresh copy.
- Redis: `E2E_REDIS_URL` (a database number of its own, emptied before each test: CI and each developer set their
  own), else a redis-server of the test's own on a free port.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from tests.support.databases import migrate_postgres
from tests.support.mail_sink import SmtpSink
from tests.support.processes import run_django
from tests.support.servers import OwnPostgres, OwnRedis, app_environment

TEMPLATE = "helpdesk_template"
_numbers = itertools.count(1)

SEED = """
from accounts.models import Role
from accounts.services import api_token_issue, user_create
from tickets.models import Category
agent = user_create(email='agent@example.com', password='x-long-password-1', name='Agent Smith', role=Role.AGENT)
requester = user_create(email='requester@example.com', password='x-long-password-1', name='Rita Requester')
Category.objects.create(name='General', slug='general')
print(api_token_issue(user=agent, name='e2e')[1])
print(api_token_issue(user=requester, name='e2e')[1])
"""


@dataclass(frozen=True)
class Site:
    database_url: str
    redis_url: str
    agent_token: str
    requester_token: str

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://"), autocommit=True) as db:
            return db.execute(query, params).fetchall()


@pytest.fixture(scope="session")
def e2e_postgres(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OwnPostgres, tuple[str, str]]]:
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-e2e-pg-"))
    cluster = OwnPostgres(folder, database=TEMPLATE).create()
    try:
        var_dir = tmp_path_factory.mktemp("e2e-template")
        env = app_environment(var_dir, DATABASE_URL=cluster.url)
        migrate_postgres(request.config, cluster, env, var_dir)
        seeded = run_django(SEED, env, var_dir)
        assert seeded.returncode == 0, seeded.stderr
        agent_token, requester_token = seeded.stdout.strip().splitlines()[-2:]
        yield cluster, (agent_token, requester_token)
    finally:
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    configured = os.environ.get("E2E_REDIS_URL", "")
    if configured:
        redis.Redis.from_url(configured).flushdb()
        yield configured
        redis.Redis.from_url(configured).flushdb()
        return
    own = OwnRedis(tmp_path).start()
    try:
        yield own.url
    finally:
        own.kill()


@pytest.fixture
def site(e2e_postgres: tuple[OwnPostgres, tuple[str, str]], redis_url: str) -> Site:
    """A fresh copy of the migrated, seeded database (an agent and a requester with API tokens)."""
    cluster, (agent_token, requester_token) = e2e_postgres
    name = f"e2e_{os.getpid()}_{next(_numbers)}"
    admin_url = cluster.url.replace("postgres://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return Site(cluster.url.rsplit("/", 1)[0] + f"/{name}", redis_url, agent_token, requester_token)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def environment(site: Site, smtp: SmtpSink, tmp_path: Path) -> Callable[..., dict[str, str]]:
    """The settings every process of the site shares: production mode, fast sweeps and retries for the test."""

    def make(**overrides: str) -> dict[str, str]:
        return app_environment(
            tmp_path,
            DATABASE_URL=site.database_url,
            REDIS_URL=site.redis_url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
            EMAIL_TIMEOUT="3",
            SITE_URL="https://help.example.com",
            EVENT_SWEEP_SECONDS="1",
            EVENT_REDELIVER_AFTER_SECONDS="3",
            EVENT_RETRY_BASE_SECONDS="1",
            EVENT_RETRY_MAX_SECONDS="2",
            NOTIFICATION_MAX_ATTEMPTS="1000",
            CELERY_TASK_TIME_LIMIT="35",
            CELERY_VISIBILITY_TIMEOUT="10",
            WORKER_HEARTBEAT_SECONDS="1",
            **overrides,
        )

    return make
