"""Databases for the fault tests, made once per test process: a seeded SQLite file each test copies, and a
migrated PostgreSQL cluster of our own (the tests that stop it start it again before they end).

Tests using the cluster are grouped (xdist_group) so that, under `make test` (`--dist loadgroup`), one process makes
it and runs them all.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import migrate_postgres, sqlite_copy
from tests.support.servers import OwnPostgres, app_environment, seed_agent

SQLITE_FILE = "helpdesk.sqlite3"


@dataclass(frozen=True)
class PreparedDatabase:
    url: str
    token: str  # an agent's bearer token


@pytest.fixture(scope="session")
def sqlite_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("sqlite-template")
    database = sqlite_copy(request.config, folder)
    return database, seed_agent(app_environment(folder, DATABASE_URL=f"sqlite:///{database}"), folder)


@pytest.fixture
def sqlite_database(sqlite_template: tuple[Path, str], tmp_path: Path) -> PreparedDatabase:
    """A copy of the migrated SQLite file, for this test alone."""
    template, token = sqlite_template
    shutil.copy(template, tmp_path / SQLITE_FILE)
    return PreparedDatabase(f"sqlite:///{tmp_path / SQLITE_FILE}", token)


@pytest.fixture(scope="session")
def own_postgres(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OwnPostgres, str]]:
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-faults-pg-"))
    cluster = OwnPostgres(folder).create()
    try:
        var_dir = tmp_path_factory.mktemp("postgres-var")
        env = app_environment(var_dir, DATABASE_URL=cluster.url)
        migrate_postgres(request.config, cluster, env, var_dir)
        yield cluster, seed_agent(env, var_dir)
    finally:
        cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_database(own_postgres: tuple[OwnPostgres, str]) -> Iterator[tuple[OwnPostgres, PreparedDatabase]]:
    cluster, token = own_postgres
    if not cluster.is_running():
        cluster.start()
    yield cluster, PreparedDatabase(cluster.url, token)
    if not cluster.is_running():  # a test that stopped it and failed before starting it again
        cluster.start()
