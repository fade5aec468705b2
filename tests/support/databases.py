"""One migrated database per set of migrations, made once and copied by every test that needs one.

Migrating from nothing takes seconds (about 80 migrations); the suite used to do it a handful of times per run:
the test database of each xdist process, the fault tests' template, the mail commands' templates, and the e2e and
fault tests' own PostgreSQL clusters. Now the first process that asks migrates, keeps the result in pytest's cache
folder (under a lock, so the others wait for it), and every user copies it: the SQLite file, or a `pg_dump` of a
migrated PostgreSQL database. The name is a digest of every migration file of every installed app and the Django
version, so a changed, added or removed migration makes a new one; stale ones are removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django
import pytest
from django.apps import apps

from tests.support.processes import run_manage
from tests.support.servers import OwnPostgres

FILE_NAME = "helpdesk.sqlite3"


def migrations_digest() -> str:
    """A digest of what `migrate` would build: every installed app's migration files, and Django's version."""
    digest = hashlib.sha256(django.__version__.encode())
    for app in sorted(apps.get_app_configs(), key=lambda config: config.label):
        folder = Path(app.path) / "migrations"
        for path in sorted(folder.glob("*.py")):
            digest.update(f"{app.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_folder(config: pytest.Config, name: str) -> Path:
    cache = getattr(config, "cache", None)  # None under `-p no:cacheprovider`: then a folder of this run's own
    return cache.mkdir(name) if cache else Path(tempfile.mkdtemp(prefix=f"{name}-"))


@contextmanager
def _only_one_process_at_a_time(folder: Path) -> Iterator[None]:
    """The other xdist processes wait here while the first one migrates."""
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _remove_stale(folder: Path, current: Path) -> None:
    for stale in folder.glob(f"*{current.suffix}"):
        if stale != current:
            stale.unlink()


def migrated_sqlite_template(config: pytest.Config) -> Path:
    """The path of a migrated SQLite database for the current migrations; never write to it, copy it."""
    folder = _cache_folder(config, "sqlite-template")
    template = folder / f"{migrations_digest()}.sqlite3"
    with _only_one_process_at_a_time(folder):
        if not template.exists():
            _migrate_into(template)
            _remove_stale(folder, template)
    return template


def migrate_postgres(config: pytest.Config, cluster: OwnPostgres, env: dict[str, str], var_dir: Path) -> None:
    """Bring the cluster's empty database to the current migrations: load the dump of a migrated one if there is
    one for them (and this PostgreSQL version), else migrate it and leave its dump for the next cluster."""
    folder = _cache_folder(config, "postgres-template")
    dump = folder / f"{migrations_digest()}-pg{cluster.version}.sql"
    with _only_one_process_at_a_time(folder):
        if dump.exists():
            cluster.load(dump)
            return
        migrated = run_manage(["migrate", "--noinput"], env, var_dir)
        assert migrated.returncode == 0, migrated.stderr
        cluster.dump(folder / f"dumping-{os.getpid()}")
        os.replace(folder / f"dumping-{os.getpid()}", dump)
        _remove_stale(folder, dump)


def _migrate_into(template: Path) -> None:
    work = template.parent / f"migrating-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    migrated = run_manage(["migrate", "--noinput"], {"DATABASE_URL": f"sqlite:///{work / FILE_NAME}"}, work)
    assert migrated.returncode == 0, migrated.stderr
    database = sqlite3.connect(work / FILE_NAME)
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file, so a copy is whole
    database.close()
    os.replace(work / FILE_NAME, template)
    shutil.rmtree(work, ignore_errors=True)


def sqlite_copy(config: pytest.Config, folder: Path) -> Path:
    """A migrated SQLite database of its own in `folder`, named as the app's default (VAR_DIR/helpdesk.sqlite3)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(migrated_sqlite_template(config), folder / FILE_NAME))
