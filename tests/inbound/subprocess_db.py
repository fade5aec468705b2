"""A migrated SQLite database of its own for a command run in a separate process (the pipe, the SMTP listener):
the test database of the suite lives in memory (SQLite) or in an uncommitted transaction, out of their reach."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


def copy_database(template: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "helpdesk.sqlite3")
    return folder / "helpdesk.sqlite3"


def process_env(folder: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'helpdesk.sqlite3'}",
        "REPLY_ADDRESS": "support@example.com",
        "LOG_FORMAT": "plain",
        **extra,
    }


def stored_rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT source, status, from_address, subject, envelope_recipient, size FROM inbound_inboundmessage "
            "ORDER BY id"
        ).fetchall()
