"""One migrated SQLite database per set of migrations, made once and copied by every test that needs one.

Migrating from nothing takes seconds (about 80 migrations); the suite used to do it a handful of times per run:
the test database of each xdist process, the fault tests' template, the mail commands' templates. Now the first
process that asks migrates into pytest's cache folder (under a lock, so the others wait for it) and every user
copies the file. The file's name is a digest of every migration file of every installed app and the Django
version, so a changed, added or removed migration makes a new one; stale ones are removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import django
import pytest
from django.apps import apps

from tests.support.processes import run_manage

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


def migrated_sqlite_template(config: pytest.Config) -> Path:
    """The path of a migrated SQLite database for the current migrations; never write to it, copy it."""
    cache = getattr(config, "cache", None)  # None under `-p no:cacheprovider`: then a folder of this run's own
    folder = cache.mkdir("sqlite-template") if cache else Path(tempfile.mkdtemp(prefix="sqlite-template-"))
    template = folder / f"{migrations_digest()}.sqlite3"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other xdist processes wait here while the first one migrates
        if not template.exists():
            _migrate_into(template)
            for stale in folder.glob("*.sqlite3"):
                if stale != template:
                    stale.unlink()
    return template


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
