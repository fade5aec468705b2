"""`manage.py ingest_email` as a mail server's pipe runs it: the message on standard input, sysexits exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inbound.messages import mail
from tests.inbound.subprocess_db import copy_database, process_env, stored_rows
from tests.support.databases import migrated_sqlite_template
from tests.support.processes import ROOT


@pytest.fixture(scope="module")
def template(request: pytest.FixtureRequest) -> Path:
    return migrated_sqlite_template(request.config)


def _pipe(raw: bytes, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "ingest_email", *args],
        input=raw,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env},
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_piped_message_is_stored_once_and_exits_0_silently(template, tmp_path):
    database = copy_database(template, tmp_path)
    env = {**process_env(tmp_path), "VAR_DIR": str(tmp_path)}
    raw = mail(sender="dana@example.org", subject="By pipe")

    first = _pipe(raw, env, "--recipient", "support@example.com")
    second = _pipe(raw, env)

    assert (first.returncode, first.stdout, second.returncode) == (0, b"", 0)
    assert stored_rows(database) == [
        ("pipe", "received", "dana@example.org", "By pipe", "support@example.com", len(raw))
    ]


def test_empty_input_exits_65(template, tmp_path):
    copy_database(template, tmp_path)

    result = _pipe(b"", {**process_env(tmp_path), "VAR_DIR": str(tmp_path)})

    assert result.returncode == 65


def test_an_unreachable_database_exits_75_so_the_mail_server_retries(tmp_path):
    env = {**process_env(tmp_path), "VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}

    result = _pipe(mail(sender="dana@example.org"), env)

    assert result.returncode == 75, result.stderr
